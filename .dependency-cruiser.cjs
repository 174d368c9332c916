// The layer rules of docs/ARCHITECTURE.md, checked by `npm run lint` (dependency-cruiser).
// Arrows point down only:
//   main, config, cli, index  →  surfaces  →  inbound, actors  →  machines, agent, store, cluster  →  core, policy, protocol
// and transport (uWebSockets.js) is used by surfaces and main and imports nothing above core.
/** @type {import('dependency-cruiser').IConfiguration} */
const layer = (name, from, allowed) => ({
  name,
  comment: `${from} may import only ${allowed.join(', ')} (docs/ARCHITECTURE.md)`,
  severity: 'error',
  from: { path: `^${from}/` },
  to: { path: '^(src|protocol)/', pathNot: `^(${[from, ...allowed].join('|')})/` },
});
const BOTTOM = ['src/core', 'src/policy', 'protocol'];
module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'no import cycles in src/ or protocol/', from: { path: '^(src|protocol)/' }, to: { circular: true } },
    layer('core', 'src/core', ['protocol']),
    layer('policy', 'src/policy', ['src/core', 'protocol']),
    layer('protocol', 'protocol', []),
    layer('machines', 'src/machines', BOTTOM),
    layer('store', 'src/store', BOTTOM),
    layer('agent', 'src/agent', BOTTOM),
    // cluster mode (NATS) sits beside the store: it may use the bottom layers only
    layer('cluster', 'src/cluster', BOTTOM),
    layer('actors', 'src/actors', [...BOTTOM, 'src/machines', 'src/agent', 'src/store', 'src/cluster']),
    layer('inbound', 'src/inbound', [...BOTTOM, 'src/machines', 'src/agent', 'src/store', 'src/cluster', 'src/actors']),
    layer('transport', 'src/transport', ['src/core']),
    layer('client', 'src/client', ['src/core', 'protocol']),
    layer('surfaces-http', 'src/surfaces/http', [...BOTTOM, 'src/machines', 'src/agent', 'src/store', 'src/cluster', 'src/actors', 'src/inbound', 'src/transport']),
    layer('surfaces-ws', 'src/surfaces/ws', [...BOTTOM, 'src/machines', 'src/agent', 'src/store', 'src/cluster', 'src/actors', 'src/inbound', 'src/transport']),
    layer('surfaces-channels', 'src/surfaces/channels', [...BOTTOM, 'src/machines', 'src/agent', 'src/store', 'src/cluster', 'src/actors', 'src/inbound', 'src/transport']),
    layer('surfaces-web', 'src/surfaces/web', [...BOTTOM, 'src/transport']),
    {
      name: 'cli', severity: 'error',
      comment: 'src/cli may import only the composition root, config, the client, the bottom layers and (doctor) the read-only database check',
      from: { path: '^src/cli/' },
      to: { path: '^(src|protocol)/', pathNot: '^(src/cli/|src/client/|src/core/|src/policy/|protocol/|src/config\\.ts$|src/main\\.ts$|src/store/integrity\\.ts$)' },
    },
    {
      name: 'uws-only-in-transport', severity: 'error', comment: 'only src/transport touches uWebSockets.js',
      from: { pathNot: '^src/transport/' }, to: { path: 'uWebSockets\\.js' },
    },
    {
      name: 'sqlite-only-in-store', severity: 'error', comment: 'only src/store opens SQLite',
      from: { path: '^src/', pathNot: '^src/store/' }, to: { path: 'node_modules/better-sqlite3' }, 
    },
    {
      name: 'nats-only-in-cluster', severity: 'error', comment: 'only src/cluster talks to NATS (and main.ts loads it lazily, with --nats-url)',
      from: { path: '^src/', pathNot: '^src/cluster/' }, to: { path: '(^|/)@nats-io/' },
    },
    {
      name: 'machines-are-pure', severity: 'error', comment: 'machines import xstate and types only: no Node built-ins, no other packages',
      from: { path: '^src/machines/' }, to: { dependencyTypes: ['core', 'npm'], pathNot: 'node_modules/xstate/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js'] },
  },
};
