// Cache-Control per file: no-cache by default, one max-age for everything with `cache`, and
// immutable for bundler output whose file name carries a content hash with `cacheHashed`.

export const NO_CACHE = 'no-cache';
export const IMMUTABLE = 'public, max-age=31536000, immutable';

// `name.<token>.ext` or `name-<token>.ext`, where the token is the last dot/dash-separated part
// before the extension (Vite/Rollup `index-BX3k9aQz.js`, webpack `app.3f9a1c2b.js`, esbuild
// `chunk-ABCD1234.js`).
const HASH_TOKEN = /[.-]([A-Za-z0-9_]{8,64})\.[A-Za-z0-9]+$/;

/**
 * Whether a file name looks like content-hashed bundler output. The token must hold a digit: a
 * token of letters only is as likely to be a word (`app-settings.js`) as a hash, and a hash we
 * miss merely gets the ordinary policy, while a word taken for a hash would be cached for a year.
 */
export function hasContentHash(fileName: string): boolean {
  const token = HASH_TOKEN.exec(fileName)?.[1];
  return token !== undefined && /\d/.test(token);
}

/** Builds the Cache-Control chooser once from the options. */
export function cachePolicy(options: { cache?: number; cacheHashed?: boolean }): (fileName: string, contentType: string) => string {
  const base = options.cache === undefined ? NO_CACHE : `public, max-age=${options.cache}`;
  if (!options.cacheHashed) return () => base;
  return (fileName, contentType) =>
    !contentType.startsWith('text/html') && hasContentHash(fileName) ? IMMUTABLE : base;
}
