// Path patterns for config rules: globs per segment (picomatch), `**` across segments, `:param`
// segments substituted into destinations. Matching is a segment-by-segment dynamic programme, so
// no pattern can backtrack catastrophically (serve-handler shipped ReDoS through whole-path regexes).
import picomatch from 'picomatch';
import { UserError } from '../errors.js';

/** A pattern compiled once at startup. */
export interface PathPattern {
  source: string;
  /** Matches a decoded, normalized path (starting with `/`); returns its params, or undefined. */
  match(path: string): Record<string, string> | undefined;
}

type Segment = { kind: 'globstar' } | { kind: 'param'; name: string } | { kind: 'glob'; test: (text: string) => boolean };

/** Bounds that keep the worst case small: wildcards per segment and segments per pattern. */
const MAX_STARS_PER_SEGMENT = 2;
const MAX_SEGMENTS = 32;
/** No file name is longer (NAME_MAX); a longer request segment can only match `**`. */
const MAX_SEGMENT_LENGTH = 255;

function compileSegment(text: string, source: string, seenGlobstar: boolean): Segment {
  if (text === '**') return { kind: 'globstar' };
  // An empty segment (`/`, or the end of `/docs/`) matches only an empty one: the trailing slash.
  if (text === '') return { kind: 'glob', test: (segment) => segment === '' };
  if (text.startsWith(':')) {
    const name = text.slice(1);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UserError(`bad parameter name ":${name}" in "${source}"`);
    // Params are taken by position, which is only unambiguous before any `**`.
    if (seenGlobstar) throw new UserError(`":${name}" must come before any "**" in "${source}"`);
    return { kind: 'param', name };
  }
  if (text.includes('**')) throw new UserError(`"**" must be a whole path segment in "${source}"`);
  if (/[!@+?*]\(/.test(text)) throw new UserError(`extended globs like "${text}" are not supported in "${source}"`);
  if ((text.match(/\*/g) ?? []).length > MAX_STARS_PER_SEGMENT) {
    throw new UserError(`at most ${MAX_STARS_PER_SEGMENT} "*" per path segment in "${source}"`);
  }
  let regex: RegExp;
  try {
    regex = picomatch.makeRe(text, { dot: true, noextglob: true, strictBrackets: true });
  } catch (error) {
    throw new UserError(`bad pattern "${source}": ${(error as Error).message}`);
  }
  return { kind: 'glob', test: (segment) => segment.length <= MAX_SEGMENT_LENGTH && regex.test(segment) };
}

/** Compiles `source` (`/blog/:slug`, `/assets/**`, `**\/*.html`, `/{a,b}/*.js`); throws a UserError. */
export function compilePattern(source: string): PathPattern {
  if (typeof source !== 'string' || source === '') throw new UserError('a pattern must be a non-empty string');
  const parts = source.replace(/^\/+/, '').split('/');
  if (parts.length > MAX_SEGMENTS) throw new UserError(`"${source}" has more than ${MAX_SEGMENTS} segments`);
  const segments: Segment[] = [];
  for (const part of parts) {
    const segment = compileSegment(part, source, segments.some((s) => s.kind === 'globstar'));
    // `**/**` means the same as `**`: collapsing keeps the programme small.
    if (segment.kind === 'globstar' && segments[segments.length - 1]?.kind === 'globstar') continue;
    segments.push(segment);
  }
  return { source, match: (path) => matchSegments(segments, path.replace(/^\/+/, '').split('/')) };
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
