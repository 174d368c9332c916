import { CONFIG_OPTION_HELP, OPTION_HELP, OPTIONS, type OptionHelp, type OptionName } from '../config.js';

// `--help` texts generated from the option table (src/config/options.ts + option-help.ts), so a flag the
// gateway accepts cannot be missing from its help.

const FLAG_COLUMN = 28;

/** One `--flag ARG   text (default X)` entry, wrapped under the text column for its extra lines. */
export function flagLine(name: string, help: OptionHelp | undefined): string {
  const flag = `  --${name}${help?.arg ? ` ${help.arg}` : ''}`;
  const lines = (help?.text ?? '(no description)').split('\n');
  if (help?.default !== undefined) lines[lines.length - 1] += ` (default ${help.default})`;
  const pad = ' '.repeat(FLAG_COLUMN);
  const first = flag.length < FLAG_COLUMN - 1 ? `${flag.padEnd(FLAG_COLUMN)}${lines[0]}` : `${flag}\n${pad}${lines[0]}`;
  return [first, ...lines.slice(1).map((l) => pad + l)].join('\n');
}

/** Every gateway option (the table's order) plus --config, one entry each. */
export function gatewayFlags(): string {
  const names = Object.keys(OPTIONS) as OptionName[];
  return [...names.map((n) => flagLine(n, OPTION_HELP[n])), flagLine('config', CONFIG_OPTION_HELP)].join('\n') + '\n';
}

/** The `clawgate gateway --help` text. */
export function gatewayUsage(): string {
  return `usage: clawgate gateway [options]

Runs the gateway in the foreground (HTTP data plane and WebSocket control plane on one port; JSON logs on stdout).

Options (also keys of the --config file; flags win over the file):
${gatewayFlags()}
Exit codes: 0 stopped cleanly, 2 bad flag or configuration, 78 state dir, lock or port unusable.
`;
}

/** The `clawgate --help` text: the commands. */
export const MAIN_USAGE = `usage: clawgate gateway [options]         run the gateway in the foreground
       clawgate doctor [options] [--json]  check this machine and configuration (exit 1 on problems)
       clawgate status                     ask the running gateway: version, uptime, planes, sessions, runs
       clawgate devices list | approve <requestId> | reject <requestId> | remove <deviceId>
       clawgate channels status [--probe] | logout <channel> [--account ID] | login whatsapp
       clawgate pairing list [channel] | approve <channel> <CODE> [--notify] | reject <channel> <CODE>
       clawgate nodes list | approve <requestId> | reject <requestId> | invoke <nodeId> <command> [json-params]
       clawgate service print systemd|launchd [--state-dir DIR] [--config FILE]
       clawgate version

clawgate <command> --help lists the command's flags with their defaults.
In the repository (after npm ci and npm run build): npx clawgate <command>.
`;
