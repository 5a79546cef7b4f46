// tiny-serve's path patterns as regular expressions that nginx (PCRE) and Caddy (Go's RE2) both read:
// anchored, `:param` segments as named groups `(?P<name>…)`, no lookaround or backreference (RE2 has
// none). Matched, like the patterns, against the decoded, normalized path.
import { patternShape, type SegmentShape, type Token } from '../http/patterns.js';

/** A pattern as a regex; `negated` when the pattern's leading `!` inverts it (the writer says "does not match"). */
export interface PatternRegex {
  source: string;
  regex: string;
  negated: boolean;
  /** The `:param` names, in order: the regex's named groups. */
  params: string[];
}

/** A code point as a regex literal: letters, digits and non-ASCII as they are, ASCII punctuation escaped, controls as `\x{…}`. */
function literal(char: string): string {
  const code = char.codePointAt(0)!;
  if (/^[A-Za-z0-9_ ]$/.test(char) || code > 0x7f) return char; // UTF-8 bytes match themselves in both engines
  if (code < 0x20 || code === 0x7f) return `\\x{${code.toString(16)}}`;
  return `\\${char}`;
}

/** A class member: letters and digits as they are, anything else as `\x{…}` (no class syntax to trip on). */
function classMember(code: number): string {
  const char = String.fromCodePoint(code);
  return /^[A-Za-z0-9]$/.test(char) ? char : `\\x{${code.toString(16)}}`;
}

/** A class's ranges without `/`: a segment glob never sees the separator, so its classes never match one. */
function withoutSlash(ranges: [number, number][]): [number, number][] {
  const slash = 0x2f;
  return ranges.flatMap(([low, high]): [number, number][] => {
    if (high < slash || low > slash) return [[low, high]];
    return [...(low < slash ? [[low, slash - 1] as [number, number]] : []), ...(high > slash ? [[slash + 1, high] as [number, number]] : [])];
  });
}

function tokenRegex(token: Token): string {
  if (token.kind === 'char') return literal(token.char);
  if (token.kind === 'any') return '[^/]';
  if (token.kind === 'star') return '[^/]*';
  const members = withoutSlash(token.ranges)
    .map(([low, high]) => (low === high ? classMember(low) : `${classMember(low)}-${classMember(high)}`))
    .join('');
  if (token.negated) return `[^/${members}]`;
  return members === '' ? '(?:$.)' : `[${members}]`; // a class of `/` alone matches nothing
}

function segmentRegex(segment: SegmentShape): string {
  if (segment.kind === 'globstar') return '(?:/[^/]*)*';
  if (segment.kind === 'param') return `/(?P<${segment.name}>[^/]+)`;
  const alternatives = segment.alternatives.map((tokens) => tokens.map(tokenRegex).join(''));
  return alternatives.length === 1 ? `/${alternatives[0]}` : `/(?:${alternatives.join('|')})`;
}

/** The regex for a pattern (`/blog/:slug` → `^/blog/(?P<slug>[^/]+)$`). Throws a UserError for a bad pattern. */
export function patternRegex(source: string): PatternRegex {
  const { negated, segments } = patternShape(source);
  const params = segments.flatMap((segment) => (segment.kind === 'param' ? [segment.name] : []));
  return { source, regex: `^${segments.map(segmentRegex).join('')}$`, negated, params };
}
