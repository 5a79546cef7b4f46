// Path patterns for config rules: globs per segment (`*`, `?`, `[a-z]`, `{a,b}`), `**` across
// segments, `:param` segments substituted into destinations, a leading `!` that negates the whole
// pattern. Our own matcher, linear-ish on any input: braces are expanded once at compile time (with
// a bound), each segment glob is matched by the two-pointer wildcard algorithm (O(pattern × text),
// no backtracking explosion, so any number of `*`), and segments by a dynamic programme
// (serve-handler shipped ReDoS through whole-path regexes).
import { UserError } from '../errors.js';

/** A pattern compiled once at startup. */
export interface PathPattern {
  source: string;
  /** Matches a decoded, normalized path (starting with `/`); returns its params, or undefined. */
  match(path: string): Record<string, string> | undefined;
}

/** One character of a segment glob: a literal, `?`, `*` or a class `[…]`. */
type Token =
  | { kind: 'char'; char: string }
  | { kind: 'any' }
  | { kind: 'star' }
  | { kind: 'class'; negated: boolean; ranges: [number, number][] };

type Segment = { kind: 'globstar' } | { kind: 'param'; name: string } | { kind: 'glob'; test: (text: string) => boolean };

/** A pattern's segments as written (braces expanded), for writing it in another syntax (`tiny-serve export`). */
export type SegmentShape = { kind: 'globstar' } | { kind: 'param'; name: string } | { kind: 'glob'; alternatives: Token[][] };
export type { Token };

/** Bounds that keep the worst case small: segments per pattern, brace alternatives per segment. */
const MAX_SEGMENTS = 32;
const MAX_ALTERNATIVES = 64;
/** No file name is longer (NAME_MAX); a longer request segment can only match `**`. */
const MAX_SEGMENT_LENGTH = 255;

/** The index of the bracket closing the one at `open`, or -1; `]` right after `[` or `[!` is literal. */
function closingBracket(chars: string[], open: number): number {
  let index = open + 1;
  if (chars[index] === '!' || chars[index] === '^') index += 1;
  if (chars[index] === ']') index += 1;
  for (; index < chars.length; index += 1) {
    if (chars[index] === '\\') index += 1;
    else if (chars[index] === ']') return index;
  }
  return -1;
}

/** `[…]` between `open` and `close` (exclusive) as ranges of code points. */
function classToken(chars: string[], open: number, close: number): Token {
  let index = open + 1;
  const negated = chars[index] === '!' || chars[index] === '^';
  if (negated) index += 1;
  const ranges: [number, number][] = [];
  while (index < close) {
    if (chars[index] === '\\') index += 1;
    const low = chars[index]!.codePointAt(0)!;
    if (chars[index + 1] === '-' && index + 2 < close) {
      const high = chars[index + 2]!.codePointAt(0)!;
      ranges.push([Math.min(low, high), Math.max(low, high)]);
      index += 3;
    } else {
      ranges.push([low, low]);
      index += 1;
    }
  }
  return { kind: 'class', negated, ranges };
}

/** A brace-free glob as tokens; consecutive stars are one. Throws a message for an unclosed `[`. */
function tokenize(glob: string): Token[] {
  const chars = Array.from(glob);
  const tokens: Token[] = [];
  for (let index = 0; index < chars.length; index += 1) {
    const char = chars[index]!;
    if (char === '*') {
      if (tokens[tokens.length - 1]?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (char === '?') {
      tokens.push({ kind: 'any' });
    } else if (char === '[') {
      const close = closingBracket(chars, index);
      if (close === -1) throw new Error('missing closing "]"');
      tokens.push(classToken(chars, index, close));
      index = close;
    } else if (char === '\\' && index + 1 < chars.length) {
      index += 1;
      tokens.push({ kind: 'char', char: chars[index]! });
    } else {
      tokens.push({ kind: 'char', char });
    }
  }
  return tokens;
}

/** The first top-level `{…}` holding a comma: its bounds and its alternatives; undefined if none. */
function firstBraces(glob: string): { open: number; close: number; alternatives: string[] } | undefined {
  for (let open = glob.indexOf('{'); open !== -1; open = glob.indexOf('{', open + 1)) {
    if (glob[open - 1] === '\\') continue;
    let depth = 0;
    let start = open + 1;
    const alternatives: string[] = [];
    for (let index = open; index < glob.length; index += 1) {
      const char = glob[index];
      if (char === '\\') index += 1;
      else if (char === '{') depth += 1;
      else if (char === ',' && depth === 1) {
        alternatives.push(glob.slice(start, index));
        start = index + 1;
      } else if (char === '}' && (depth -= 1) === 0) {
        if (alternatives.length === 0) break; // `{a}` is literal text, as in a shell
        alternatives.push(glob.slice(start, index));
        return { open, close: index, alternatives };
      }
    }
    if (depth > 0) throw new Error('missing closing "}"');
  }
  return undefined;
}

/** `a{b,c{d,e}}` → `ab`, `acd`, `ace`; throws a message past MAX_ALTERNATIVES. */
function expandBraces(glob: string): string[] {
  const done: string[] = [];
  const pending = [glob];
  while (pending.length > 0) {
    const text = pending.pop()!;
    const braces = firstBraces(text);
    if (!braces) {
      done.push(text);
    } else {
      const before = text.slice(0, braces.open);
      const after = text.slice(braces.close + 1);
      pending.push(...braces.alternatives.map((alternative) => before + alternative + after));
    }
    if (done.length + pending.length > MAX_ALTERNATIVES) throw new Error(`more than ${MAX_ALTERNATIVES} alternatives`);
  }
  return done;
}

function matchesOne(token: Token, char: string): boolean {
  if (token.kind === 'any') return true;
  if (token.kind === 'char') return token.char === char;
  if (token.kind === 'star') return false;
  const code = char.codePointAt(0)!;
  return token.ranges.some(([low, high]) => code >= low && code <= high) !== token.negated;
}

/**
 * The classic wildcard match: advance both sides; at a `*`, remember where it was and where the text
 * stood; on a mismatch, let the last `*` swallow one more character and retry from there. Only the
 * last star ever needs revisiting, so the work is at most tokens × characters.
 */
function matchTokens(tokens: Token[], chars: string[]): boolean {
  let t = 0;
  let c = 0;
  let star = -1;
  let resumeAt = 0;
  while (c < chars.length) {
    const token = tokens[t];
    if (token?.kind === 'star') {
      star = t;
      resumeAt = c;
      t += 1;
    } else if (token !== undefined && matchesOne(token, chars[c]!)) {
      t += 1;
      c += 1;
    } else if (star !== -1) {
      t = star + 1;
      resumeAt += 1;
      c = resumeAt;
    } else {
      return false;
    }
  }
  while (tokens[t]?.kind === 'star') t += 1;
  return t === tokens.length;
}

/** A segment glob's brace alternatives, each as tokens; throws a message. */
function globAlternatives(text: string): Token[][] {
  return expandBraces(text).map(tokenize);
}

/** A segment glob as a test: any of its brace alternatives matches the whole segment. */
function compileGlob(alternatives: Token[][]): (segment: string) => boolean {
  return (segment) => {
    if (segment.length > MAX_SEGMENT_LENGTH) return false;
    const chars = Array.from(segment);
    return alternatives.some((tokens) => matchTokens(tokens, chars));
  };
}

function shapeSegment(text: string, source: string, seenGlobstar: boolean): SegmentShape {
  if (text === '**') return { kind: 'globstar' };
  // An empty segment (`/`, or the end of `/docs/`) matches only an empty one: the trailing slash.
  if (text === '') return { kind: 'glob', alternatives: [[]] };
  if (text.startsWith(':')) {
    const name = text.slice(1);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UserError(`bad parameter name ":${name}" in "${source}"`);
    // Params are taken by position, which is only unambiguous before any `**`.
    if (seenGlobstar) throw new UserError(`":${name}" must come before any "**" in "${source}"`);
    return { kind: 'param', name };
  }
  if (text.includes('**')) throw new UserError(`"**" must be a whole path segment in "${source}"`);
  if (/[!@+?*]\(/.test(text)) throw new UserError(`extended globs like "${text}" are not supported in "${source}"`);
  try {
    return { kind: 'glob', alternatives: globAlternatives(text) };
  } catch (error) {
    throw new UserError(`bad pattern "${source}": ${(error as Error).message}`);
  }
}

/**
 * `source` as its parts: whether it is negated (a leading `!`) and its segments, `**` runs collapsed.
 * Throws a UserError for a pattern that compilePattern refuses.
 */
export function patternShape(source: string): { negated: boolean; segments: SegmentShape[] } {
  if (typeof source !== 'string' || source === '') throw new UserError('a pattern must be a non-empty string');
  // A leading `!` negates the whole pattern, as in serve.json (`"cleanUrls": ["!/raw/**"]`).
  const negated = source.startsWith('!');
  const parts = source.slice(negated ? 1 : 0).replace(/^\/+/, '').split('/');
  if (parts.length > MAX_SEGMENTS) throw new UserError(`"${source}" has more than ${MAX_SEGMENTS} segments`);
  const segments: SegmentShape[] = [];
  for (const part of parts) {
    const segment = shapeSegment(part, source, segments.some((s) => s.kind === 'globstar'));
    if (negated && segment.kind === 'param') throw new UserError(`a negated pattern captures no ":${segment.name}" in "${source}"`);
    // `**/**` means the same as `**`: collapsing keeps the programme small.
    if (segment.kind === 'globstar' && segments[segments.length - 1]?.kind === 'globstar') continue;
    segments.push(segment);
  }
  return { negated, segments };
}

/**
 * Compiles `source` (`/blog/:slug`, `/assets/**`, `**\/*.min.*.js`, `/{a,b}/*.js`, `!/private/**`);
 * throws a UserError.
 */
export function compilePattern(source: string): PathPattern {
  const shape = patternShape(source);
  const segments = shape.segments.map((segment): Segment => (segment.kind === 'glob' ? { kind: 'glob', test: compileGlob(segment.alternatives) } : segment));
  const match = (path: string): Record<string, string> | undefined => matchSegments(segments, path.replace(/^\/+/, '').split('/'));
  return { source, match: shape.negated ? (path) => (match(path) ? undefined : {}) : match };
}

/** A path test for a list of patterns (`cleanUrls`, `directoryListing`, `unlisted`): any matches. */
export function compilePatternList(sources: readonly string[]): (path: string) => boolean {
  const patterns = sources.map(compilePattern);
  return (path) => patterns.some((pattern) => pattern.match(path) !== undefined);
}

/**
 * `reachable[j]` says whether the first i pattern segments can consume the first j path segments;
 * O(pattern × path) segment tests, each on at most 255 characters.
 */
function matchSegments(pattern: Segment[], path: string[]): Record<string, string> | undefined {
  let reachable = new Array<boolean>(path.length + 1).fill(false);
  reachable[0] = true;
  for (const segment of pattern) {
    const next = new Array<boolean>(path.length + 1).fill(false);
    for (let j = 0; j <= path.length; j += 1) {
      if (segment.kind === 'globstar') {
        // `**` consumes zero or more segments.
        next[j] = reachable[j]! || (j > 0 && next[j - 1]!);
      } else if (j > 0 && reachable[j - 1]) {
        next[j] = segment.kind === 'param' ? path[j - 1] !== '' : segment.test(path[j - 1]!);
      }
    }
    reachable = next;
  }
  if (!reachable[path.length]) return undefined;
  const params: Record<string, string> = {};
  pattern.forEach((segment, index) => {
    if (segment.kind === 'param') params[segment.name] = path[index]!;
  });
  return params;
}

/** Replaces `:name` in a destination with the matched values, percent-encoded. */
export function substitute(destination: string, params: Record<string, string>): string {
  return destination.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (whole, name: string) =>
    name in params ? encodeURIComponent(params[name]!) : whole,
  );
}
