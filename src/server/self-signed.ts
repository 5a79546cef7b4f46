// `--ssl` without files: a self-signed certificate for the names the server is reached at, kept in the
// user's cache directory and reused while it is valid and still names them all, so that a browser's
// exception for it outlives a restart. Checking a kept one needs only node:crypto; the X.509 library
// behind cert-generator.ts is loaded only when a certificate must be made.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { SelfSignedInfo, TlsMaterial } from './tls.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** How long a new certificate is valid: a year of restarts on one browser exception. */
export const VALID_DAYS = 365;
/** A kept certificate this close to its end is replaced, before a browser starts refusing it mid-session. */
export const RENEW_DAYS = 30;
/** How far back a new certificate's validity starts: a phone whose clock runs behind still accepts it. */
const BACKDATE_MS = DAY_MS;

export const CERT_FILE = 'cert.pem';
export const KEY_FILE = 'key.pem';

/** TLS material for `--ssl`, with the PEM texts (workers get them from the primary) and what the banner says. */
export interface SelfSignedTls extends TlsMaterial {
  cert: string;
  key: string;
  selfSigned: SelfSignedInfo;
}

/**
 * The user's cache directory for tiny-serve: `%LOCALAPPDATA%\tiny-serve` on Windows, else
 * `$XDG_CACHE_HOME/tiny-serve` when that is set (an absolute path, as the XDG spec requires), else
 * `~/Library/Caches/tiny-serve` on macOS and `~/.cache/tiny-serve` elsewhere. Undefined without a home.
 */
export function cacheDirectory(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = homedir()): string | undefined {
  if (platform === 'win32') {
    const local = env.LOCALAPPDATA || (home && join(home, 'AppData', 'Local'));
    return local ? join(local, 'tiny-serve') : undefined;
  }
  if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME)) return join(env.XDG_CACHE_HOME, 'tiny-serve');
  if (!home) return undefined;
  return platform === 'darwin' ? join(home, 'Library', 'Caches', 'tiny-serve') : join(home, '.cache', 'tiny-serve');
}

/** Does the certificate name this host or address (IPv6 in any spelling)? */
function names(certificate: X509Certificate, name: string): boolean {
  return isIP(name) ? certificate.checkIP(name) !== undefined : certificate.checkHost(name, { subject: 'never' }) !== undefined;
}

/**
 * A kept certificate, if it can serve now: it parses, its key is its own, it is valid for more than
 * RENEW_DAYS, and it names every one of `required`.
 */
function stillServes(cert: string, key: string, required: string[], now: Date): X509Certificate | undefined {
  try {
    const certificate = new X509Certificate(cert);
    if (new Date(certificate.validFrom).getTime() > now.getTime()) return undefined;
    if (new Date(certificate.validTo).getTime() - now.getTime() < RENEW_DAYS * DAY_MS) return undefined;
    if (!certificate.checkPrivateKey(createPrivateKey(key))) return undefined;
    return required.every((name) => names(certificate, name)) ? certificate : undefined;
  } catch {
    return undefined; // unreadable or not a certificate: made anew
  }
}

async function readKept(dir: string): Promise<{ cert: string; key: string } | undefined> {
  try {
    const [cert, key] = await Promise.all([readFile(join(dir, CERT_FILE), 'utf8'), readFile(join(dir, KEY_FILE), 'utf8')]);
    return { cert, key };
  } catch {
    return undefined;
  }
}

/** Replaces `path` whole: a reader (another tiny-serve starting) never sees half a file. */
async function writeWhole(path: string, text: string, mode: number): Promise<void> {
  const partial = `${path}.${process.pid}.tmp`;
  try {
    await rm(partial, { force: true }); // a leftover would keep its own mode
    await writeFile(partial, text, { mode, flag: 'wx' });
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true }).catch(() => {});
    throw error;
  }
}

function failure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return 'permission denied';
  if (code === 'ENOTDIR' || code === 'EEXIST') return 'a file is in the way';
  return (error as Error).message;
}

/** Keeps a new certificate: the directory is the user's alone (0700), the key readable by them only (0600). */
async function keep(dir: string, cert: string, key: string): Promise<string | undefined> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    await writeWhole(join(dir, KEY_FILE), key, 0o600);
    await writeWhole(join(dir, CERT_FILE), cert, 0o644);
    return undefined;
  } catch (error) {
    return `cannot write ${dir}: ${failure(error)}`;
  }
}

function material(cert: string, key: string, info: Omit<SelfSignedInfo, 'fingerprint' | 'validTo'>): SelfSignedTls {
  const certificate = new X509Certificate(cert);
  const validTo = new Date(certificate.validTo);
  return { options: { cert, key }, validTo, cert, key, selfSigned: { ...info, fingerprint: certificate.fingerprint256, validTo } };
}

/**
 * The certificate for `required` (host names and addresses): the one kept in `dir` when it still
 * serves, else a new one, kept there when the directory can be written (in memory only otherwise,
 * with the reason). `dir` undefined: no cache directory at all.
 */
export async function selfSignedTls(required: string[], dir: string | undefined, now = new Date()): Promise<SelfSignedTls> {
  const kept = dir === undefined ? undefined : await readKept(dir);
  if (kept && stillServes(kept.cert, kept.key, required, now)) {
    return material(kept.cert, kept.key, { made: false, certFile: join(dir!, CERT_FILE) });
  }
  const { generateCertificate } = await import('./cert-generator.js');
  const { cert, key } = await generateCertificate({
    names: required,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + VALID_DAYS * DAY_MS),
  });
  const unsaved = dir === undefined ? 'no cache directory (no home directory)' : await keep(dir, cert, key);
  return material(cert, key, unsaved === undefined ? { made: true, certFile: join(dir!, CERT_FILE) } : { made: true, certFile: undefined, unsaved });
}

/** Material a worker got from its primary: the same certificate, not one of its own. */
export function sharedSelfSigned(cert: string, key: string): TlsMaterial {
  return { options: { cert, key }, validTo: new Date(new X509Certificate(cert).validTo) };
}
