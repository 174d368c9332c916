import { ConfigError, parseGatewayArgs, type GatewayConfig } from '../config.js';
import { printJson } from './format.js';
import { gatewayFlags } from './help.js';
import {
  checkDatabase, checkLock, checkModel, checkNode, checkPort, checkStateDir, checkToken, type CheckResult, checkWhatsApp,
} from './doctor-checks.js';
import { checkSignal } from './doctor-signal.js';
import { checkTelegram } from './doctor-telegram.js';

// `clawgate doctor [gateway flags]`: checks this machine and configuration for what would stop or weaken
// `clawgate gateway` with the same flags. Exit 0 healthy, 1 problems (each printed with its fix).

/** The `clawgate doctor --help` text. */
export function doctorUsage(): string {
  return `usage: clawgate doctor [gateway options] [--json]

Checks what \`clawgate gateway\` with the same options would need: Node.js version, the configuration,
the state dir (writable, not held by a running gateway), the database (integrity, read-only), the port
(free), the token (at least 32 characters, 16 distinct), with --model openai that the endpoint answers, and
for each Telegram account of the --config file that its bot token works (getMe on its api-root).

  --json                      print the results as JSON

Gateway options (the same as clawgate gateway, same defaults):
${gatewayFlags()}
Exit codes: 0 healthy, 1 problems found (each printed with its fix).
`;
}

/** Every check's result for the gateway that `argv` describes. */
export async function diagnose(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<CheckResult[]> {
  const results = [checkNode()];
  let config: GatewayConfig;
  try {
    config = parseGatewayArgs(argv, env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // a weak token is the token check's problem: the other checks still run on the rest of the configuration
    const rest = err.message.startsWith('--token') ? parseWithoutToken(argv, env) : undefined;
    if (!rest) {
      results.push({ check: 'config', ok: false, detail: err.message, fix: 'correct that flag or config file key (clawgate gateway --help lists them with their defaults)' });
      return results;
    }
    config = rest;
  }
  results.push({ check: 'config', ok: true, detail: 'flags and config file are valid' });
  const dir = checkStateDir(config.stateDir);
  results.push(dir);
  if (dir.ok) {
    results.push(checkLock(config.stateDir));
    results.push(await checkDatabase(config.stateDir));
  }
  results.push(await checkPort(config.bind, config.port));
  results.push(checkToken(config.token, config.bind));
  results.push(await checkModel(config, env));
  results.push(...await checkTelegram(config.channels.telegram.filter((a) => a.enabled)));
  results.push(...await checkSignal(config.channels.signal.filter((a) => a.enabled)));
  results.push(...await checkWhatsApp(config.stateDir, config.channels.whatsapp.filter((a) => a.enabled)));
  return results;
}

/** The configuration without its token check, carrying the given token as is (for checkToken to judge). */
function parseWithoutToken(argv: string[], env: NodeJS.ProcessEnv): GatewayConfig | undefined {
  const at = argv.findIndex((a) => a === '--token' || a.startsWith('--token='));
  const token = at < 0 ? env.OPENCLAW_GATEWAY_TOKEN : argv[at].startsWith('--token=') ? argv[at].slice('--token='.length) : argv[at + 1];
  const rest = at < 0 ? argv : [...argv.slice(0, at), ...argv.slice(argv[at].startsWith('--token=') ? at + 1 : at + 2)];
  try {
    const config = parseGatewayArgs(rest, { ...env, OPENCLAW_GATEWAY_TOKEN: undefined });
    return token === undefined ? config : { ...config, token };
  } catch {
    return undefined;
  }
}

/** Runs `clawgate doctor …`; resolves with the process exit code. */
export async function doctor(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(doctorUsage());
    return 0;
  }
  const json = args.includes('--json');
  const results = await diagnose(args.filter((a) => a !== '--json'));
  const healthy = results.every((r) => r.ok);
  if (json) {
    printJson({ ok: healthy, checks: results });
  } else {
    let out = '';
    for (const r of results) {
      out += `${r.ok ? 'ok     ' : 'PROBLEM'}  ${r.check.padEnd(9)} ${r.detail}\n`;
      if (r.fix) out += `${' '.repeat(19)}fix: ${r.fix}\n`;
    }
    const problems = results.filter((r) => !r.ok).length;
    out += healthy ? '\nhealthy\n' : `\n${problems} problem${problems === 1 ? '' : 's'} found\n`;
    process.stdout.write(out);
  }
  return healthy ? 0 : 1;
}
