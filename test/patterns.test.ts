// Config path patterns as units: what compilePattern matches, the params it extracts, how substitute
// encodes them, which sources it refuses, and that no pattern can take super-linear time.
import { describe, expect, it } from 'vitest';
import { compilePattern, substitute } from '../src/http/patterns.js';
import { UserError } from '../src/errors.js';

/** A bound a linear matcher meets by orders of magnitude and a backtracking one misses by as many. */
const FAST_MS = 500;

function timed<T>(run: () => T): { result: T; ms: number } {
  const started = performance.now();
  const result = run();
  return { result, ms: performance.now() - started };
}

describe('compilePattern: matching', () => {
  it.each([
    ['/blog/:slug', '/blog/hello'],
    ['/blog/:slug', '/blog/john.doe'],
    ['/blog/:slug', '/blog/a b'],
    ['/assets/**', '/assets'],
    ['/assets/**', '/assets/'],
    ['/assets/**', '/assets/app.js'],
    ['/assets/**', '/assets/a/b/c.png'],
    ['**/*.html', '/index.html'],
    ['**/*.html', '/nested/page.html'],
    ['**/*.html', '/a/b/c/d.html'],
    ['**/*.html', '/.html'],
    ['/{a,b}/*.js', '/a/x.js'],
    ['/{a,b}/*.js', '/b/x.min.js'],
    ['**', '/'],
    ['**', '/x'],
    ['**', '/a/b/c.txt'],
    ['**', '/.env'],
    ['/old/:id/**', '/old/42'],
    ['/old/:id/**', '/old/42/'],
    ['/old/:id/**', '/old/42/a/b/c'],
    ['/file.txt', '/file.txt'],
    ['/*.min.js', '/app.min.js'],
    ['/*', '/.env'],
    ['/.well-known/*', '/.well-known/security.txt'],
    ['/a?c', '/abc'],
    ['/[ab]x', '/bx'],
    ['blog/:slug', '/blog/x'],
    ['/blog/:slug', 'blog/x'],
    ['/**/x', '/x'],
    ['/a/**/**/b', '/a/b'],
    ['/a/**/**/b', '/a/1/2/3/b'],
  ])('%s matches %s', (source, path) => {
    expect(compilePattern(source).match(path)).toBeDefined();
  });

  it.each([
    ['/blog/:slug', '/blog'],
    ['/blog/:slug', '/blog/'],
    ['/blog/:slug', '/blog/a/b'],
    ['/blog/:slug', '/blogs/a'],
    ['/blog/:slug', '/x/blog/a'],
    ['/assets/**', '/asset/x.js'],
    ['/assets/**', '/x/assets/a.js'],
    ['/assets/**', '/assetsx'],
    ['**/*.html', '/page.htm'],
    ['**/*.html', '/page.html/x'],
    ['**/*.html', '/page.html.bak'],
    ['**/*.html', '/pagehtml'],
    ['/{a,b}/*.js', '/c/x.js'],
    ['/{a,b}/*.js', '/ab/x.js'],
    ['/{a,b}/*.js', '/a/b/x.js'],
    ['/{a,b}/*.js', '/a/x.css'],
    ['/{a,b}/*.js', '/a/x.jsx'],
    ['/old/:id/**', '/old'],
    ['/old/:id/**', '/old/'],
    ['/old/:id/**', '/new/42/a'],
    // A dot is a literal dot, not "any character".
    ['/file.txt', '/fileXtxt'],
    ['/*.min.js', '/app.js'],
    ['/*', '/a/b'],
    ['/a?c', '/ac'],
    ['/a?c', '/a/c'],
    ['/[ab]x', '/cx'],
    ['/x', '/X'],
  ])('%s does not match %s', (source, path) => {
    expect(compilePattern(source).match(path)).toBeUndefined();
  });

  // Globs as serve.json writes them: any number of `*` per segment, classes, nested braces, `!`.
  it.each([
    ['**/*.min.*.js', '/assets/app.min.v2.js', true],
    ['**/*.min.*.js', '/app.min.x.js', true],
    ['**/*.min.*.js', '/assets/app.min.js', false],
    ['**/*.min.*.js', '/assets/app.min.v2.css', false],
    ['/*a*b*c*', '/xaybzc', true],
    ['/*a*b*c*', '/xcybza', false],
    ['/a*b*c', '/abc', true],
    ['/a*b*c', '/abcc', true],
    ['/a*b*c', '/acb', false],
    ['/[a-c]x', '/bx', true],
    ['/[a-c]x', '/dx', false],
    ['/[!a-c]x', '/dx', true],
    ['/[!a-c]x', '/bx', false],
    ['/[^a]x', '/bx', true],
    ['/[]]x', '/]x', true],
    ['/??.txt', '/ab.txt', true],
    ['/??.txt', '/a.txt', false],
    ['/?.txt', '/\u00e9.txt', true],
    ['/{a,b{c,d}}.js', '/bd.js', true],
    ['/{a,b{c,d}}.js', '/b.js', false],
    ['/{a}.js', '/{a}.js', true],
    ['/\\*.js', '/*.js', true],
    ['/\\*.js', '/x.js', false],
    ['!/private/**', '/public/x', true],
    ['!/private/**', '/private/x', false],
    ['!/private/**', '/private', false],
    ['/!x', '/!x', true],
    ['/!x', '/y', false],
  ])('%s against %s: %s', (source, path, matches) => {
    expect(compilePattern(source).match(path) !== undefined).toBe(matches);
  });

  it('keeps its source', () => {
    expect(compilePattern('/blog/:slug').source).toBe('/blog/:slug');
  });

  // "/" is the natural source for a rule about the home page (serve.json examples use it).
  it('accepts "/" and matches only the root', () => {
    const pattern = compilePattern('/');
    expect(pattern.match('/')).toBeDefined();
    expect(pattern.match('/x')).toBeUndefined();
  });
});

describe('compilePattern: params', () => {
  it.each([
    ['/blog/:slug', '/blog/hello', { slug: 'hello' }],
    ['/blog/:slug', '/blog/john.doe', { slug: 'john.doe' }],
    ['/blog/:slug', '/blog/a b', { slug: 'a b' }],
    ['/blog/:slug', '/blog/caf\u00e9', { slug: 'caf\u00e9' }],
    ['/:year/:month/:slug', '/2024/05/launch', { year: '2024', month: '05', slug: 'launch' }],
    ['/old/:id/**', '/old/42/a/b', { id: '42' }],
    ['/old/:id/**', '/old/42', { id: '42' }],
    ['/docs/:_v2', '/docs/x', { _v2: 'x' }],
    ['/assets/**', '/assets/a/b', {}],
    ['**/*.html', '/a/b.html', {}],
  ])('%s on %s gives %j', (source, path, params) => {
    expect(compilePattern(source).match(path)).toEqual(params);
  });
});

describe('substitute', () => {
  it.each([
    ['/new/:id', { id: 'hello' }, '/new/hello'],
    ['/new/:id', { id: 'a b' }, '/new/a%20b'],
    ['/new/:id', { id: 'a/b' }, '/new/a%2Fb'],
    ['/new/:id', { id: '?#&=' }, '/new/%3F%23%26%3D'],
    ['/new/:id', { id: '%20' }, '/new/%2520'],
    ['/new/:id', { id: 'caf\u00e9' }, '/new/caf%C3%A9'],
    ['/new/:id', { id: 'a\r\nSet-Cookie: x' }, '/new/a%0D%0ASet-Cookie%3A%20x'],
    ['/nested/:slug.html', { slug: 'page' }, '/nested/page.html'],
    ['/:a/:b/:a', { a: '1', b: '2' }, '/1/2/1'],
    ['https://example.com/:x', { x: 'y z' }, 'https://example.com/y%20z'],
    ['https://example.com:8080/:x', { x: 'y' }, 'https://example.com:8080/y'],
    // A name that was not captured stays as written; a longer name is not a prefix match.
    ['/new/:missing', { id: '1' }, '/new/:missing'],
    ['/new/:idx', { id: '1' }, '/new/:idx'],
    ['/static', { id: '1' }, '/static'],
  ])('%s with %j → %s', (destination, params: Record<string, string>, expected) => {
    expect(substitute(destination, params)).toBe(expected);
  });
});

describe('compilePattern: rejected sources', () => {
  it.each([
    ['** glued to text', '/a**', /whole path segment/],
    ['** glued to text before', '/**a/b', /whole path segment/],
    ['*** as a segment', '/a/***', /whole path segment/],
    ['extglob @()', '/@(a)', /extended globs/],
    ['extglob !()', '/x/!(a).js', /extended globs/],
    ['extglob +()', '/+(a|b)', /extended globs/],
    ['extglob ?()', '/?(a)', /extended globs/],
    ['extglob *()', '/*(a)', /extended globs/],
    [':param after **', '/**/:id', /must come before any "\*\*"/],
    [':param after ** further on', '/a/**/b/:id', /must come before any "\*\*"/],
    ['param name starting with a digit', '/:1a', /bad parameter name/],
    ['param name with a dash', '/:a-b', /bad parameter name/],
    ['param name with a dot', '/:slug.html', /bad parameter name/],
    ['empty param name', '/:', /bad parameter name/],
    ['empty string', '', /non-empty string/],
    ['33 segments', '/a'.repeat(33), /more than 32 segments/],
    ['unclosed bracket', '/[abc', /bad pattern/],
    ['unclosed brace', '/{a,b', /bad pattern/],
    ['more than 64 brace alternatives', `/${'{a,b}'.repeat(7)}`, /more than 64 alternatives/],
    ['a :param in a negated pattern', '!/blog/:slug', /negated pattern/],
  ])('%s: %s', (_name, source, message) => {
    expect(() => compilePattern(source)).toThrow(UserError);
    expect(() => compilePattern(source)).toThrow(message);
  });

  it.each([null, undefined, 42, {}])('rejects a non-string source (%j) with a UserError', (source) => {
    expect(() => compilePattern(source as unknown as string)).toThrow(UserError);
  });

  it.each([
    ['two * in a segment', '/*a*'],
    ['three * in a segment', '/*a*b*'],
    ['three * in a later segment', '/x/*.*.*'],
    ['**/*.min.*.js', '**/*.min.*.js'],
    ['64 brace alternatives', `/${'{a,b}'.repeat(6)}`],
    ['32 segments', '/a'.repeat(32)],
    ['**/** (collapsed)', '/**/**/x'],
  ])('accepts %s', (_name, source) => {
    expect(() => compilePattern(source)).not.toThrow();
  });
});

describe('compilePattern: pathological input finishes fast', () => {
  // For comparison (measured once, not asserted): picomatch.makeRe('**/a/**/a/**/a/**/a/**/b') tested
  // against 'a/'.repeat(n) took ~4 ms at n=48, ~18 ms at n=64, 0.2–1.9 s at n=100 and ~5 s at n=200
  // (about n^5), so the 4,000 segments below would take far longer than any test timeout.
  const globstars = compilePattern('**/a/**/a/**/a/**/a/**/b');

  it.each([
    ['a path that does not match', `/${'a/'.repeat(4000)}`, false],
    ['a path that does match', `/${'a/'.repeat(4000)}b`, true],
    ['a path with the b early', `/a/a/a/a/b/${'a/'.repeat(4000)}`, false],
  ])('**/a/**/a/**/a/**/a/**/b against 4,000 segments: %s', (_name, path, matches) => {
    const { result, ms } = timed(() => globstars.match(path));
    expect(result !== undefined).toBe(matches);
    expect(ms).toBeLessThan(FAST_MS);
  });

  // For comparison (not asserted): picomatch.makeRe('*a*b', { dot: true }) on 'a'.repeat(n) is
  // quadratic: ~3 ms at n=5,000, ~13 ms at 10,000, ~50 ms at 20,000.
  it.each([
    ['*a*b', '10,000 × a', 'a'.repeat(10_000), false],
    ['*a*', '10,000 × b', 'b'.repeat(10_000), false],
    // Longer than any file name (255): only ** may match it.
    ['*a*', '10,000 × a', 'a'.repeat(10_000), false],
    ['**', '10,000 × a', 'a'.repeat(10_000), true],
    ['*a*b', '254 × a then b', `${'a'.repeat(254)}b`, true],
    ['*a*b', '255 × a', 'a'.repeat(255), false],
  ])('/%s against a segment of %s', (segment, _label, text, matches) => {
    const pattern = compilePattern(`/${segment}`);
    const { result, ms } = timed(() => pattern.match(`/${text}`));
    expect(result !== undefined).toBe(matches);
    expect(ms).toBeLessThan(FAST_MS);
  });
});

describe('compilePattern: hostile globs finish (steps bounded by pattern × text, no timing asserted)', () => {
  // A backtracking matcher tries every way of splitting the text among the stars: C(255, 8) ways here.
  it.each([
    ['/*a*a*a*a*a*a*a*a*b', '255 × a', 'a'.repeat(255), false],
    ['/*a*a*a*a*a*a*a*a*b', '254 × a then b', `${'a'.repeat(254)}b`, true],
    ['/*?*?*?*?*?*?*?*?*b', '255 × a', 'a'.repeat(255), false],
    ['/{*a,*b}*{a,b}*{a,b}*{a,b}*c', '127 × ab', 'ab'.repeat(127), false],
  ])('%s against a segment of %s', (source, _label, text, matches) => {
    expect(compilePattern(source).match(`/${text}`) !== undefined).toBe(matches);
  }, 30_000);
});
