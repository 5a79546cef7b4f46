// Cache-Control per file: no-cache by default, one max-age for everything with `cache`, and
// immutable for bundler output whose file name carries a content hash with `cacheHashed`.

export const NO_CACHE = 'no-cache';
export const IMMUTABLE = 'public, max-age=31536000, immutable';

// webpack's `[name].[contenthash]`: the last dot/dash-separated part before the extension, 8 to 64
// letters, digits or `_` (`app.3f9a1c2b.js`, `main.4f8a9c1d2e3b4a5f6789.js`).
const LONG_HASH = /[.-]([A-Za-z0-9_]{8,64})\.[A-Za-z0-9]+$/;

// Rollup's and Vite's default `[name]-[hash]`: exactly 8 base64url characters, so `-` and `_` may sit
// inside the hash (`index-C-0bB3sm.css`, `vendor-_7kq-4Tz.js`); esbuild's 8 uppercase base32
// characters (`chunk-QWERTYUI.js`) fit the same shape.
const SHORT_HASH = /[.-]([A-Za-z0-9_-]{8})\.[A-Za-z0-9]+$/;

// A word as people spell file names: lowercase, camelCase or PascalCase, every capital followed by
// lowercase letters (`navigate`, `useState`, `MyButton`, but not `CQMiRbvb` or `QWERTYUI`).
const WORD = /^[a-z]*(?:[A-Z][a-z]+)*$/;

/**
 * Whether a file name looks like content-hashed bundler output. A word taken for a hash would be
 * cached for a year, while a hash we miss merely gets the ordinary policy, so every doubt goes to
 * "not a hash": a long token must hold a digit, and an 8-character one must not read as words.
 */
export function hasContentHash(fileName: string): boolean {
  return hasLongHash(fileName) || hasShortHash(fileName);
}

function hasLongHash(fileName: string): boolean {
  const token = LONG_HASH.exec(fileName)?.[1];
  return token !== undefined && /\d/.test(token);
}

/**
 * The 8 characters count as a hash unless each piece between `-` and `_` is a word: kebab and snake
 * names (`use-get-user.js`, `lib-my_utils.js`) fill those 8 characters too. Random base64url misses
 * this about 3.4% of the time (letters that happen to read as words); such a file is revalidated.
 */
function hasShortHash(fileName: string): boolean {
  const token = SHORT_HASH.exec(fileName)?.[1];
  return token !== undefined && !token.split(/[-_]+/).every((piece) => WORD.test(piece));
}

/** Builds the Cache-Control chooser once from the options. */
export function cachePolicy(options: { cache?: number; cacheHashed?: boolean }): (fileName: string, contentType: string) => string {
  const base = options.cache === undefined ? NO_CACHE : `public, max-age=${options.cache}`;
  if (!options.cacheHashed) return () => base;
  return (fileName, contentType) =>
    !contentType.startsWith('text/html') && hasContentHash(fileName) ? IMMUTABLE : base;
}
