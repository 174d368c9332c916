// Gateway configuration: flags, then a --config file (JSON or YAML, same keys), then defaults. Flags win.
// Every problem is a ConfigError with a one-line message; the CLI prints it and exits 2.
// The parts live in src/config/: the option table, coercion, the config file, one file per group of checks.

export { parseGatewayArgs } from './config/args.js';
export { ConfigError, type GatewayConfig } from './config/gateway-config.js';
export { isLoopbackHost } from './policy/addresses.js';
export { BUILTIN_TOOLS } from './config/model.js';
export { DEFAULTS, type OptionName, type RawOptions, type RawValue } from './config/options.js';
export { resolveConfig } from './config/resolve.js';
export { CONFIG_OPTION_HELP, OPTION_HELP, type OptionHelp } from './config/option-help.js';
export { OPTIONS } from './config/options.js';
