// The regexes the Caddy writer matches paths and headers with, each equal to a rule of tiny-serve's
// (RE2 has no lookaround, so "not X" is spelled out), and the scan for symlinks Caddy would follow.
import { lstatSync, readdirSync, realpathSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { isHidden } from '../http/target.js';
import { CONFIG_NAMES } from './site.js';
import { regexLiteral } from './caddy-syntax.js';

/**
 * A first segment that starts with a dot and is not `.well-known` (the one public dot-directory,
 * RFC 8615): every way of differing from `well-known` (shorter, a character off, longer).
 */
function dotSegmentOtherThanWellKnown(): string {
  const word = 'well-known';
  const alternatives = [...word].map((char, at) => `${regexLiteral(word.slice(0, at))}(?:[^/${regexLiteral(char)}][^/]*)?`);
  return `\\.(?:${[...alternatives, `${regexLiteral(word)}[^/]+`].join('|')})(?:/|$)`;
}

/**
 * tiny-serve's private paths, root-relative: a dot segment below the top, a top-level dot segment
 * other than `.well-known`, the config file names at the root, and the given extra paths (links out
 * of the root, a --config file inside it), each with what lies under it.
 */
export function privatePathRegex(extra: string[]): string {
  const alternatives = [
    '/[^/]*/(?:[^/]*/)*\\.',
    `/${dotSegmentOtherThanWellKnown()}`,
    `/(?:${CONFIG_NAMES.map(regexLiteral).join('|')})$`,
    ...(extra.length > 0 ? [`/(?:${extra.map((path) => regexLiteral(path.replace(/^\//, ''))).join('|')})(?:/|$)`] : []),
  ];
  return `^(?:${alternatives.join('|')})`;
}

const repeat = (unit: string, times: number): string => (times === 0 ? '' : times === 1 ? unit : `${unit}{${times}}`);

/**
 * cache-policy.ts's `hasContentHash` on the path's last name, as one RE2 regex. Both of its rules
 * look at one token, the run before the extension after a `.` or `-`:
 * - long: 8 to 64 of `[A-Za-z0-9_]` with a digit: one alternative per place of its first digit;
 * - short: exactly 8 of `[A-Za-z0-9_-]` that do not all read as words, that is with a digit, a
 *   capital followed by another capital, `-` or `_`, or a capital at its end.
 */
export function hashedNameRegex(): string {
  const letters = '[A-Za-z_]';
  const word = '[A-Za-z0-9_]';
  const short = '[A-Za-z0-9_-]';
  const long = Array.from({ length: 64 }, (_, at) => `${repeat(letters, at)}[0-9]${word}{${Math.max(0, 7 - at)},${63 - at}}`);
  const digit = Array.from({ length: 8 }, (_, at) => `${repeat(short, at)}[0-9]${repeat(short, 7 - at)}`);
  const capitals = Array.from({ length: 7 }, (_, at) => `${repeat(short, at)}[A-Z][A-Z_-]${repeat(short, 6 - at)}`);
  return `[.-](?:${[...long, ...digit, ...capitals, `${repeat(short, 7)}[A-Z]`].join('|')})\\.[A-Za-z0-9]+$`;
}

/**
 * An Accept header that lists `text/html` with q > 0 (locate.ts `isNavigation`): the first regex
 * finds the type, the second the same item with q=0 (RE2 cannot say "not followed by").
 */
export const NAVIGATION = '(?i)(?:^|,)\\s*text/html\\s*(?:;[^,]*)?(?:,|$)';
export const NAVIGATION_REFUSED = '(?i)(?:^|,)\\s*text/html\\s*;(?:[^,]*;)?\\s*q=0*(?:\\.0*)?\\s*(?:[;,]|$)';

/** Header names tiny-serve echoes in a preflight's Access-Control-Allow-Headers: a list of tokens. */
const TOKEN_CHAR = "[!#$%&'*+.^_\\x{60}|~0-9A-Za-z-]";
export const TOKEN_LIST = `^\\s*${TOKEN_CHAR}+(?:\\s*,\\s*${TOKEN_CHAR}+)*\\s*$`;

/** How many entries the symlink scan looks at before it gives up (and says so). */
const SCAN_LIMIT = 20_000;

/** What the scan found: links Caddy must not follow (root-relative URL paths), and whether it looked everywhere. */
export interface LinkScan {
  paths: string[];
  complete: boolean;
}

/**
 * The symlinks under the root, as they are now, that tiny-serve answers as missing: those leading
 * out of the root (unless `followOutside`, serve.json's `symlinks`) and those leading to a private
 * name inside it. Caddy follows every link, so the writer makes these paths private. Read once, at
 * export time: links made later are not covered (the writer says so).
 */
export function scanLinks(root: string, followOutside: boolean): LinkScan {
  const found: string[] = [];
  const pending = [root];
  let seen = 0;
  while (pending.length > 0) {
    const directory = pending.pop()!;
    let names: string[];
    try {
      names = readdirSync(directory);
    } catch {
      continue;
    }
    for (const name of names) {
      if (++seen > SCAN_LIMIT) return { paths: found, complete: false };
      const path = join(directory, name);
      let stats;
      try {
        stats = lstatSync(path);
      } catch {
        continue;
      }
      if (stats.isDirectory()) pending.push(path);
      else if (stats.isSymbolicLink() && !linkAllowed(root, path, followOutside)) found.push(`/${relative(root, path).split(sep).join('/')}`);
    }
  }
  return { paths: found.sort(), complete: true };
}

function linkAllowed(root: string, path: string, followOutside: boolean): boolean {
  let target: string;
  try {
    target = realpathSync(path);
  } catch {
    return true; // a broken link is missing for both
  }
  const inside = target.startsWith(root.endsWith(sep) ? root : root + sep) ? target.slice(root.length + 1) : undefined;
  if (inside === undefined) return followOutside && !target.split(sep).pop()!.startsWith('.');
  return !isHidden(inside) && !CONFIG_NAMES.includes(inside);
}
