import { resolve } from 'node:path';
import { inspectTlsFiles, TlsFileError } from '../core/tls-files.js';
import { ConfigError, type GatewayConfig } from './gateway-config.js';
import type { OptionReader } from './reader.js';

// `--tls-cert` and `--tls-key`: both or neither; each file readable and what it claims to be, checked now so
// that a bad file is a configuration error naming it (exit 2), not a failed start later.

/** The TLS files (absolute paths), or undefined for plain HTTP and WS. */
export function tlsFiles(o: OptionReader): GatewayConfig['tls'] {
  const cert = o.str('tls-cert')?.trim();
  const key = o.str('tls-key')?.trim();
  if (!cert && !key) return undefined;
  if (!cert || !key) throw new ConfigError('--tls-cert and --tls-key go together: give both PEM files (or neither for plain HTTP)');
  const files = { certFile: resolve(cert), keyFile: resolve(key) };
  try {
    inspectTlsFiles(files);
  } catch (err) {
    if (err instanceof TlsFileError) throw new ConfigError(err.message);
    throw err;
  }
  return files;
}
