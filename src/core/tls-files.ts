import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

// HTTPS and WSS on the one port: uWS's SSLApp reads the PEM files itself, but does not say which file is
// wrong. So both files are read and parsed first (by the config checks, and again by the transport for the
// fingerprint it logs), and a bad one is named in the error.

/** The certificate and key files of `--tls-cert` / `--tls-key` (PEM). */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/** A TLS file that cannot be read or is not what it should be; the message names the file. */
export class TlsFileError extends Error {}

/** What the gateway logs about its certificate at start (the fingerprint is for pinning). */
export interface TlsCertificateInfo {
  /** SHA-256 fingerprint, colon-separated upper-case hex (as `openssl x509 -fingerprint -sha256` prints it). */
  fingerprint256: string;
  subject: string;
  validTo: string;
}

function read(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new TlsFileError(`cannot read the TLS ${what} file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Reads and checks both files: the certificate parses, the key parses and belongs to the certificate. */
export function inspectTlsFiles(files: TlsFiles): TlsCertificateInfo {
  const certPem = read(files.certFile, 'certificate');
  const keyPem = read(files.keyFile, 'key');
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    throw new TlsFileError(`the TLS certificate file ${files.certFile} is not a PEM certificate`);
  }
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    throw new TlsFileError(`the TLS key file ${files.keyFile} is not an unencrypted PEM private key`);
  }
  if (!cert.checkPrivateKey(key)) {
    throw new TlsFileError(`the TLS key file ${files.keyFile} does not belong to the certificate ${files.certFile}`);
  }
  return { fingerprint256: cert.fingerprint256, subject: cert.subject.replace(/\n/g, ', '), validTo: cert.validTo };
}
