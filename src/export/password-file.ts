// The password file an export with --auth writes beside its configuration: the user and a bcrypt
// hash of the password (never the password), in the form each target reads.
import bcrypt from 'bcryptjs';
import { passwordFileUser } from './caddy-syntax.js';
import type { ExportTarget } from './site.js';

/** bcrypt's cost: 2^10 rounds, the common default (about 50 ms per check on this kind of machine). */
const COST = 10;

/**
 * The password file's contents for `user:password`. nginx reads an htpasswd line (`user:$2b$…`:
 * crypt(3) with bcrypt, as glibc's libxcrypt and musl provide); Caddy an account line of the `basicauth`
 * block that imports it (`basic_auth` from Caddy 2.8), `user <hash>`, the hash base64-encoded as every Caddy 2 reads it.
 */
export function passwordFile(target: ExportTarget, credentials: string): string {
  const colon = credentials.indexOf(':');
  const user = credentials.slice(0, colon);
  const hash = bcrypt.hashSync(credentials.slice(colon + 1), COST);
  if (target === 'nginx') return `${user}:${hash}\n`;
  return `${passwordFileUser(user)} ${Buffer.from(hash).toString('base64')}\n`;
}
