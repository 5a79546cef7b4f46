// TLS material: reading --ssl-cert / --ssl-key / --ssl-pass (PEM, or a .pfx/.p12 bundle) once at
// startup and checking it, so a bad file is one line naming it, never a stack trace at the first request.
import { readFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { createRequire } from 'node:module';
import type { SecureContextOptions } from 'node:tls';
import { UserError } from '../errors.js';

// Loaded on first use, so a plain HTTP server never loads node:tls.
const createSecureContext = (options: SecureContextOptions): unknown =>
  (createRequire(import.meta.url)('node:tls') as typeof import('node:tls')).createSecureContext(options);

/** Paths of the TLS files, as given on the command line, in a config file or to `serve()`. */
export interface TlsFiles {
  /** A PEM certificate (chain), or a PKCS#12 bundle (`.pfx` / `.p12`) holding certificate and key. */
  cert: string;
  /** The PEM private key; not needed with a PKCS#12 bundle. */
  key?: string;
  /** A file holding the passphrase of an encrypted key or bundle (one trailing newline is ignored). */
  pass?: string;
}

/** What the banner says of `--ssl`'s own certificate (made in self-signed.ts). */
export interface SelfSignedInfo {
  /** SHA-256 fingerprint, colon-separated hex (as browsers show it). */
  fingerprint: string;
  validTo: Date;
  /** Made by this start (false: a kept one reused). */
  made: boolean;
  /** The certificate file, when it is kept; undefined when it lives in memory only. */
  certFile: string | undefined;
  /** Why it could not be kept (`cannot write /x/tiny-serve: permission denied`). */
  unsaved?: string;
}

/** What the server needs: options for `createSecureServer`, and when the certificate expires. */
export interface TlsMaterial {
  options: SecureContextOptions;
  /** Undefined for a PKCS#12 bundle (its certificate is not read apart). */
  validTo: Date | undefined;
  /** Set for `--ssl`'s own certificate: what the banner says of it. */
  selfSigned?: SelfSignedInfo;
}

/**
 * The files to load, or undefined for plain HTTP. A key or passphrase file without a certificate
 * is a mistake each caller words in its own names: `mistake` gets the file that came alone.
 */
export function tlsFiles(
  cert: string | undefined,
  key: string | undefined,
  pass: string | undefined,
  mistake: (alone: 'key' | 'pass') => Error,
): TlsFiles | undefined {
  if (cert !== undefined) return { cert, key, pass };
  if (key !== undefined || pass !== undefined) throw mistake(key !== undefined ? 'key' : 'pass');
  return undefined;
}

const PEM_MARK = '-----BEGIN ';

async function readBytes(path: string, flag: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw new UserError(`cannot read ${flag} ${path}: ${why}`);
  }
}

const isPem = (bytes: Buffer): boolean => bytes.includes(PEM_MARK);

/** OpenSSL's reason, without its `error:0480006C:PEM routines::` prefix. */
function reason(error: unknown): string {
  const message = (error as Error).message ?? String(error);
  return /::([^:]+)$/.exec(message)?.[1] ?? message;
}

/**
 * Reads and checks the files: the certificate parses, the key parses (decrypted with the
 * passphrase when there is one) and belongs to the certificate. Throws a UserError with one line
 * naming the file and the problem.
 */
export async function loadTls({ cert, key, pass }: TlsFiles): Promise<TlsMaterial> {
  const certBytes = await readBytes(cert, '--ssl-cert');
  const passphrase = pass === undefined ? undefined : (await readBytes(pass, '--ssl-pass')).toString('utf8').replace(/\r?\n$/, '');

  if (!isPem(certBytes)) {
    if (key !== undefined) throw new UserError(`--ssl-cert ${cert} is not PEM; a .pfx/.p12 bundle carries its own key, so leave out --ssl-key`);
    const options: SecureContextOptions = { pfx: certBytes, passphrase };
    try {
      createSecureContext(options);
    } catch (error) {
      const why = reason(error);
      if (/mac verify failure|bad decrypt/i.test(why)) {
        throw new UserError(pass === undefined ? `--ssl-cert ${cert} is protected by a passphrase: give a file holding it with --ssl-pass` : `--ssl-pass ${pass} does not unlock --ssl-cert ${cert}`);
      }
      throw new UserError(`--ssl-cert ${cert} is neither a PEM certificate nor a readable .pfx/.p12 bundle (${why})`);
    }
    return { options, validTo: undefined };
  }

  let validTo: Date;
  try {
    validTo = new Date(new X509Certificate(certBytes).validTo);
  } catch (error) {
    throw new UserError(`--ssl-cert ${cert} holds no readable PEM certificate (${reason(error)})`);
  }
  if (key === undefined) throw new UserError(`--ssl-cert ${cert} is a PEM certificate: give its private key with --ssl-key`);
  const keyBytes = await readBytes(key, '--ssl-key');
  const keyText = keyBytes.toString('latin1');
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(keyText)) {
    throw new UserError(
      keyText.includes('-----BEGIN CERTIFICATE-----')
        ? `--ssl-key ${key} holds a certificate, not a private key`
        : `--ssl-key ${key} is not a PEM private key (no "${PEM_MARK}… PRIVATE KEY-----" line)`,
    );
  }
  // Decided from the PEM itself: a wrong passphrase now and then "decrypts" into garbage that OpenSSL
  // reports as an unsupported key rather than a bad decrypt, so its message cannot tell.
  const encrypted = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(keyText);
  if (encrypted && pass === undefined) throw new UserError(`--ssl-key ${key} is encrypted: give a file holding its passphrase with --ssl-pass`);
  const options: SecureContextOptions = { cert: certBytes, key: keyBytes, passphrase };
  try {
    createSecureContext(options);
  } catch (error) {
    const why = reason(error);
    if (/key values mismatch/i.test(why)) throw new UserError(`--ssl-key ${key} does not belong to the certificate in --ssl-cert ${cert}`);
    if (encrypted) throw new UserError(`--ssl-pass ${pass} does not decrypt --ssl-key ${key}`);
    throw new UserError(`--ssl-key ${key} is not a usable private key (${why})`);
  }
  return { options, validTo };
}
