// Patterns as regexes for nginx and Caddy (src/export/regex.ts): for every pattern × path below, the
// regex matches exactly when tiny-serve's matcher does, and captures the same params. Checked with
// JavaScript's engine on the regex text, after the two spellings JavaScript writes differently.
import { describe, expect, it } from 'vitest';
import { compilePattern } from '../src/http/patterns.js';
import { patternRegex } from '../src/export/regex.js';

/** The regex text as JavaScript reads it: `(?P<name>` → `(?<name>`, `\x{hh}` → `\uHHHH` (BMP only here). */
function asJavaScript(regex: string): RegExp {
  const text = regex
    .replace(/\(\?P</g, '(?<')
    .replace(/\\x\{([0-9a-f]+)\}/g, (_, hex: string) => `\\u${hex.padStart(4, '0')}`);
  return new RegExp(text);
}

const PATTERNS = [
  '/blog/:slug',
  '/assets/**',
  '**/*.html',
  '**/*.{js,css}',
  '/{a,b}/*.js',
  '**',
  '/old/:id/**',
  '/file.txt',
  '/*.min.js',
  '/*',
  '/docs/',
  '/',
  '/a?c',
  '/[a-c]x',
  '/[!a-c]x',
  '/?[!a]?',
  '/[^.]*',
  '/[-a]',
  '/[]x]',
  '/x[\\]]',
  '/a\\*b',
  '/(group)+|$^.txt',
  '/sp ace/%41',
  '/snow ☃/*',
  '/users/:id/posts/:post',
  '!/raw/**',
  '!**/*.md',
  '/**/deep/*.js',
  '/a/**/b/**/c',
  '/{x,y{1,2}}/z',
  '/{a}',
  '/#hash?',
  '/$HOME/{path}',
  "/quote\"s/'single'",
  '/semi;colon/br}aces',
];

const PATHS = [
  '/',
  '/blog/hello',
  '/blog/john.doe',
  '/blog/',
  '/blog/a/b',
  '/assets',
  '/assets/',
  '/assets/app.js',
  '/assets/a/b/c.png',
  '/assetsx/app.js',
  '/index.html',
  '/nested/page.html',
  '/.html',
  '/a/x.js',
  '/b/x.min.js',
  '/c/x.js',
  '/style.css',
  '/x/y/z.css',
  '/old/42',
  '/old/42/',
  '/old/42/a/b',
  '/file.txt',
  '/fileXtxt',
  '/app.min.js',
  '/.env',
  '/docs/',
  '/docs',
  '/abc',
  '/a/c',
  '/x/y',
  '/xzy',
  '/bx',
  '/dx',
  '/.x',
  '/-',
  '/a',
  '/]x',
  '/x]',
  '/a*b',
  '/aXb',
  '/(group)+|$^.txt',
  '/sp ace/%41',
  '/snow ☃/index.html',
  '/users/7/posts/9',
  '/raw/readme.md',
  '/readme.md',
  '/docs/readme.md',
  '/x/deep/a.js',
  '/deep/a.js',
  '/a/b/c',
  '/a/1/b/2/3/c',
  '/x/z',
  '/y1/z',
  '/y2/z',
  '/y/z',
  '/{a}',
  '/#hash!',
  '/$HOME/{path}',
  "/quote\"s/'single'",
  '/semi;colon/br}aces',
];

describe('patternRegex: the same matches and params as compilePattern', () => {
  it.each(PATTERNS)('%s', (source) => {
    const pattern = compilePattern(source);
    const { regex, negated, params } = patternRegex(source);
    expect(negated).toBe(source.startsWith('!'));
    expect(regex.startsWith('^') && regex.endsWith('$')).toBe(true);
    const compiled = asJavaScript(regex);
    const disagreements = PATHS.flatMap((path) => {
      const expected = pattern.match(path);
      const found = compiled.exec(path);
      const matched = negated ? found === null : found !== null;
      if ((expected !== undefined) !== matched) return [`${path}: matcher ${expected !== undefined}, regex ${matched}`];
      if (expected === undefined || negated) return [];
      const captured = Object.fromEntries(params.map((name) => [name, found!.groups?.[name]]));
      return JSON.stringify(captured) === JSON.stringify(expected) ? [] : [`${path}: params ${JSON.stringify(expected)}, regex ${JSON.stringify(captured)}`];
    });
    expect(disagreements, regex).toEqual([]);
  });

  it('names every :param as a group, in order', () => {
    expect(patternRegex('/users/:id/posts/:post').params).toEqual(['id', 'post']);
    expect(patternRegex('/users/:id/posts/:post').regex).toBe('^/users/(?P<id>[^/]+)/posts/(?P<post>[^/]+)$');
  });

  it('leaves no text of the pattern unescaped that a regex engine would read as syntax', () => {
    // Every ASCII punctuation character in a literal position comes out escaped.
    const { regex } = patternRegex('/a.b+c(d)|e^f$g');
    expect(regex).toBe('^/a\\.b\\+c\\(d\\)\\|e\\^f\\$g$');
  });

  it('refuses what compilePattern refuses', () => {
    expect(() => patternRegex('/a/**b')).toThrow(/whole path segment/);
    expect(() => patternRegex('/**/:id')).toThrow(/before any/);
  });
});
