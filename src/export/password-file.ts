// The password file an export with --auth writes beside its configuration: the user and a bcrypt
// hash of the password (never the password), in the form each target reads.
import bcrypt from 'bcryptjs';
import type { ExportTarget } from './site.js';

/** bcrypt's cost: 2^10 rounds, the common default (about 50 ms per check on this kind of machine). */
const COST = 10;

/**
 * The password file's contents for `user:password`. nginx reads an htpasswd line (`user:$2b$…`:
 * crypt(3) with bcrypt, as glibc's libxcrypt and musl provide); Caddy a `basic_auth` user line inside
 * the block that imports it, `user <hash>` (its hash base64-encoded, which every Caddy 2 reads).
 */
export function passwordFile(target: ExportTarget, credentials: string): string {
  const colon = credentials.indexOf(':');
  const user = credentials.slice(0, colon);
  const hash = bcrypt.hashSync(credentials.slice(colon + 1), COST);
  if (target === 'nginx') return `${user}:${hash}\n`;
  return `${user} ${Buffer.from(hash).toString('base64')}\n`;
}
