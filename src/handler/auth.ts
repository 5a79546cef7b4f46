// HTTP Basic authentication (RFC 7617) for one user: constant-time comparison; the password is never
// logged (the accepted user name is, by the request log).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { UserError } from '../errors.js';

const CHALLENGE = 'Basic realm="tiny-serve", charset="UTF-8"';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * Validates `user:password` (a non-empty user, a colon, a password; no control characters, which RFC
 * 7617 §2 rules out of both, and which would break every file and log line the user name goes to);
 * throws a UserError.
 */
export function parseCredentials(value: string): string {
  const colon = value.indexOf(':');
  if (colon <= 0 || colon === value.length - 1) throw new UserError('auth must look like user:password');
  if (/[\x00-\x1f\x7f]/.test(value)) throw new UserError('auth must look like user:password, without control characters (RFC 7617)');
  return value;
}

/** The user name of each request whose credentials were accepted, for the request log (never the password). */
const users = new WeakMap<IncomingMessage, string>();

/** Who a request authenticated as with --auth; undefined when it did not (or there is no --auth). */
export function authenticatedUser(req: IncomingMessage): string | undefined {
  return users.get(req);
}

/**
 * Returns a check that lets a request through (true) or answers 401 with a challenge (false).
 * Both sides are hashed first, so timingSafeEqual compares equal lengths and the time taken says
 * nothing about how much of the password was right.
 */
export function basicAuth(credentials: string): (req: IncomingMessage, res: ServerResponse) => boolean {
  const expected = digest(credentials);
  return (req, res) => {
    const header = req.headers.authorization;
    if (header !== undefined && /^basic /i.test(header)) {
      const given = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
      if (timingSafeEqual(digest(given), expected)) {
        users.set(req, given.slice(0, given.indexOf(':')));
        return true;
      }
    }
    const body = Buffer.from('401 Unauthorized\n');
    res.writeHead(401, {
      'WWW-Authenticate': CHALLENGE,
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': body.length,
      'Cache-Control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return false;
  };
}
