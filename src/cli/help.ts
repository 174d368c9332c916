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
export const MAIN_USAGE = `usage: clawgate <command> [options]

Commands (clawgate <command> --help for each one's flags and defaults):
  gateway                        run the gateway in the foreground
  doctor                         check this machine and configuration before starting (exit 1 on problems)
  status                         ask the running gateway: version, uptime, planes, sessions, runs, connections
  devices list | approve <requestId> | reject <requestId> | remove <deviceId>
                                 pairing requests and paired devices of the running gateway
  nodes list | approve <requestId> | reject <requestId> | invoke <nodeId> <command> [json-params]
                                 nodes of the running gateway and their pairing requests
  service print systemd|launchd  print a service unit that runs this gateway (restart on failure)
  version                        print the version

Run without installing: npx clawgate <command> (in the repository after npm ci and npm run build).
`;
