// Unknown flags, in one line: named as the user typed them, with the flag they probably meant (a
// peer's name for it, or the closest of ours).
import { FLAGS, camel, type Flag } from './options.js';

/**
 * Flags of the peers (serve, http-server, sirv-cli) and a few natural guesses that tiny-serve has under
 * another name with the same meaning. Where the peers give one letter different meanings, both readings.
 */
const PEER_FLAGS = new Map<string, string[]>([
  ['-s', ['--single', '--quiet']], // serve and sirv: --single; http-server: --silent
  ['--spa', ['--single']],
  ['--silent', ['--quiet']], // http-server
  ['-L', ['--quiet']], // serve: --no-request-logging
  ['--no-request-logging', ['--quiet']],
  ['-a', ['--host']], // http-server: address to bind
  ['--address', ['--host']],
  ['-C', ['--cors', '--ssl-cert']], // serve: --cors; sirv and http-server: --cert
  ['-m', ['--cache']], // sirv: --maxage, in seconds
  ['--maxage', ['--cache']],
  ['--max-age', ['--cache']],
  ['--immutable', ['--cache-hashed']], // sirv: for uniquely named assets
  ['-u', ['--no-compress']], // serve: --no-compression
  ['--no-compression', ['--no-compress']],
  ['--no-port-switching', ['--strict-port']], // serve
  ['--cert', ['--ssl-cert']], // sirv, http-server
  ['--key', ['--ssl-key']],
  ['-K', ['--ssl-key']],
  ['--live-reload', ['--live']],
]);

/** Edits (insert, delete, substitute, swap two neighbours) to turn `a` into `b`. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The unknown flags as the user typed them (`-s`, `--no-clipboard`, `-xy`, `--x` for `--x=1`; from
 * `-qs`, where -q is known, `-s`; `-single`, a long name with one dash, whole). yargs names them
 * without dashes, `--no-` or grouping (`s`, `clipboard`, `x, y`), and a kebab-case one twice (`cors-x,
 * corsX`); a name no flag word accounts for (an extra positional) is kept as yargs gave it.
 */
function typedUnknowns(names: string[], argv: string[], isLongName: (name: string) => boolean): string[] {
  const unknown = new Set(names);
  const accounted = new Set<string>();
  const typed = new Set<string>();
  const end = argv.indexOf('--');
  for (const word of end === -1 ? argv : argv.slice(0, end)) {
    const long = /^--([^=]+)/.exec(word)?.[1];
    const short = long === undefined ? /^-([A-Za-z]+)/.exec(word)?.[1] : undefined;
    const keys = long !== undefined ? [long, long.replace(/^no-/, '')].flatMap((key) => [key, camel(key)]) : [...(short ?? '')];
    const matched = keys.filter((key) => unknown.has(key));
    if (matched.length === 0) continue;
    for (const key of matched) accounted.add(key);
    if (long !== undefined) typed.add(`--${long}`);
    else if (matched.length === short!.length || isLongName(short!)) typed.add(`-${short}`);
    else for (const letter of matched) typed.add(`-${letter}`);
  }
  const rest = names.filter((name) => !accounted.has(name) && !names.some((other) => other !== name && camel(other) === name));
  return [...typed, ...rest];
}

/** Every flag under each of its long names (`watch`, `live`). */
const LONG_NAMES: readonly Flag[] = FLAGS.flatMap((flag) =>
  flag.alias !== undefined && flag.alias.length > 1 ? [flag, { ...flag, name: flag.alias }] : [flag],
);

const isLongName = (name: string): boolean => PEER_FLAGS.has(`--${name}`) || LONG_NAMES.some((flag) => flag.name === name);

/** The closest of our flags to `name` (`--no-etga` means a boolean flag turned off: --no-etag), if close enough. */
function closestFlag(name: string): string | undefined {
  const negated = name.startsWith('no-') ? name.slice(3) : undefined;
  let best: { flag: string; distance: number } | undefined;
  for (const flag of LONG_NAMES) {
    const plain = editDistance(name, flag.name);
    const off = negated !== undefined && flag.type === 'boolean' ? editDistance(negated, flag.name) : Infinity;
    const distance = Math.min(plain, off);
    if (!best || distance < best.distance) best = { flag: off < plain ? `no-${flag.name}` : flag.name, distance };
  }
  return best && best.distance <= (name.length <= 3 ? 1 : 2) ? `--${best.flag}` : undefined;
}

/** The flags an unknown one probably meant: a peer's name for it, else the closest of ours. */
function suggestionsFor(typed: string): string[] {
  const name = typed.replace(/^-+/, '');
  const peer = PEER_FLAGS.get(typed) ?? PEER_FLAGS.get(`--${name}`);
  if (peer) return peer;
  if (!typed.startsWith('-') || (!typed.startsWith('--') && name.length === 1)) return [];
  if (LONG_NAMES.some((flag) => flag.name === name)) return [`--${name}`]; // `-single`, one dash short
  const extended = name.length >= 3 ? LONG_NAMES.find((flag) => flag.name.startsWith(name)) : undefined;
  if (extended) return [`--${extended.name}`];
  const closest = closestFlag(name);
  return closest === undefined ? [] : [closest];
}

/** yargs' message, with unknown flags as typed: `Unknown argument: -s; did you mean --single or --quiet?`. */
export function usageMessage(message: string, argv: string[]): string {
  const names = /^Unknown arguments?: (.+)$/.exec(message)?.[1]?.split(', ');
  if (!names) return message;
  const unknown = typedUnknowns(names, argv, isLongName).map((typed) => ({ typed, meant: suggestionsFor(typed).join(' or ') }));
  const list = `Unknown argument${unknown.length > 1 ? 's' : ''}: ${unknown.map(({ typed }) => typed).join(', ')}`;
  const hints = unknown.filter(({ meant }) => meant !== '').map(({ typed, meant }) => (unknown.length > 1 ? `${meant} for ${typed}` : meant));
  return hints.length > 0 ? `${list}; did you mean ${hints.join(', ')}?` : list;
}
