import { realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CONFIG_OPTION_HELP, OPTION_HELP } from '../config.js';
import { flagLine } from './help.js';
import { GATEWAY_NODE_FLAGS } from './node-flags.js';

// `clawgate service print systemd|launchd`: a service definition that runs this gateway with this node and
// this CLI (absolute paths), restarting on failure but not on exit 78 (EX_CONFIG: lock held, state dir or
// port unusable), which a restart would not fix. The token is not written into the unit: it is read from env.

/** The `clawgate service --help` text. */
export const SERVICE_USAGE = `usage: clawgate service print systemd|launchd [options]

Prints a service definition for this gateway on stdout (install it yourself; nothing is written):
  systemd   a user unit: save as ~/.config/systemd/user/clawgate.service, then
            systemctl --user daemon-reload && systemctl --user enable --now clawgate
            (loginctl enable-linger $USER keeps it running after logout)
  launchd   a LaunchAgent: save as ~/Library/LaunchAgents/dev.clawgate.gateway.plist, then
            launchctl load ~/Library/LaunchAgents/dev.clawgate.gateway.plist

The unit runs: <node> <clawgate> gateway [--state-dir DIR] [--config FILE], with absolute paths.
Put the token in the --config file or in the environment (OPENCLAW_GATEWAY_TOKEN), not on the command line.

${flagLine('state-dir', OPTION_HELP['state-dir'])}
${flagLine('config', CONFIG_OPTION_HELP)}

Exit codes: 0 printed, 2 usage error.
`;

/** Bad command line (exit 2). */
class ServiceUsageError extends Error {}

/** What the unit runs: absolute node, CLI and state dir, and the config file if one was given. */
export interface ServiceSpec {
  node: string;
  cli: string;
  stateDir: string;
  config?: string;
}

/** Runs `clawgate service …`; resolves with the process exit code. */
export async function service(args: string[]): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args, allowPositionals: true, strict: true,
      options: { 'state-dir': { type: 'string' }, config: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
    const [verb, kind, extra] = positionals;
    if (values.help || verb === 'help') {
      process.stdout.write(SERVICE_USAGE);
      return 0;
    }
    if (verb !== 'print') throw new ServiceUsageError(verb === undefined ? 'service: missing command: print (see clawgate service --help)' : `service: unknown command "${verb}" (print)`);
    if (kind !== 'systemd' && kind !== 'launchd') throw new ServiceUsageError(`service print: say systemd or launchd${kind ? `, not "${kind}"` : ''}`);
    if (extra !== undefined) throw new ServiceUsageError(`service print: unexpected argument "${extra}"`);
    const spec: ServiceSpec = {
      node: process.execPath,
      cli: realpathSync(fileURLToPath(new URL('./main.js', import.meta.url))),
      stateDir: resolve(values['state-dir'] ?? join(homedir(), '.clawgate')),
      ...(values.config !== undefined ? { config: resolve(values.config) } : {}),
    };
    process.stdout.write(kind === 'systemd' ? systemdUnit(spec) : launchdPlist(spec));
    return 0;
  } catch (err) {
    if (err instanceof ServiceUsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`clawgate: ${(err as Error).message.split('\n')[0]}\n`);
      return 2;
    }
    throw err;
  }
}

function commandLine(s: ServiceSpec): string[] {
  return [s.node, ...GATEWAY_NODE_FLAGS, s.cli, 'gateway', '--state-dir', s.stateDir, ...(s.config !== undefined ? ['--config', s.config] : [])];
}

/** One systemd ExecStart word: double-quoted, with `\`, `"` escaped and `%` (a specifier) doubled. */
function systemdWord(w: string): string {
  return `"${w.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%')}"`;
}

/** A systemd user unit running the gateway. */
export function systemdUnit(s: ServiceSpec): string {
  return `# Clawgate gateway — systemd user unit (clawgate service print systemd)
# Save as ~/.config/systemd/user/clawgate.service, then:
#   systemctl --user daemon-reload && systemctl --user enable --now clawgate
[Unit]
Description=Clawgate gateway
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart=${commandLine(s).map(systemdWord).join(' ')}
# the token: put it in the --config file, or in this optional file as OPENCLAW_GATEWAY_TOKEN=...
EnvironmentFile=-${s.stateDir.replace(/%/g, '%%')}/gateway.env
Restart=on-failure
RestartSec=2
# 78 (EX_CONFIG): another gateway holds the state dir, or the state dir or port is unusable; a restart cannot help
RestartPreventExitStatus=78
KillSignal=SIGTERM
TimeoutStopSec=30

[Install]
WantedBy=default.target
`;
}

const xml = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A launchd LaunchAgent plist running the gateway (restarted when it exits unsuccessfully). */
export function launchdPlist(s: ServiceSpec): string {
  const args = commandLine(s).map((a) => `    <string>${xml(a)}</string>`).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- Clawgate gateway: save as ~/Library/LaunchAgents/dev.clawgate.gateway.plist, then launchctl load it -->
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>dev.clawgate.gateway</string>
  <key>ProgramArguments</key>
  <array>
${args}
  </array>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <!-- launchd cannot skip exit 78 (lock held, unusable state dir or port): wait between restarts instead -->
  <key>ThrottleInterval</key>
  <integer>30</integer>
  <key>StandardOutPath</key>
  <string>${xml(join(s.stateDir, 'gateway.log'))}</string>
  <key>StandardErrorPath</key>
  <string>${xml(join(s.stateDir, 'gateway.err.log'))}</string>
</dict>
</plist>
`;
}
