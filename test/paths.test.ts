// URL → file mapping: traversal and odd targets (raw requests only), dotfiles, directory redirects
// and open-redirect probes, 404 pages, awkward names, symlinks in and out of the root, FIFOs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copySite, rawRequest, SITE, startServer, type RawResponse, type TestServer } from './helpers.js';

/** Written only into files outside every served root: no 200 body may ever contain it. */
const OUTSIDE_MARKER = 'OUTSIDE-THE-ROOT-7f3a9c1e-do-not-serve';
const CUSTOM_404 = readFileSync(join(SITE, '404.html'), 'utf8');
const BUILT_IN_CSP = "default-src 'none'";

function text(res: RawResponse): string {
  return res.body.toString('utf8');
}

/** A path-only Location: one `/`, then neither `/` nor `\`; no scheme, no authority, no Host. */
function expectPathOnlyLocation(location: string | undefined, host: string): void {
  expect(location).toBeDefined();
  expect(location).toMatch(/^\/[^/\\]/);
  expect(location).not.toContain('://');
  expect(location).not.toContain(host);
}

/** A temporary directory outside every served root, holding a secret file and a subdirectory. */
function makeOutsideDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tiny-serve-outside-'));
  writeFileSync(join(dir, 'secret.txt'), `${OUTSIDE_MARKER}\n`);
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'index.html'), `<p>${OUTSIDE_MARKER}</p>\n`);
  return dir;
}

describe('request targets against the fixture site', () => {
  let site: TestServer;
  beforeAll(async () => {
    site = await startServer();
  });
  afterAll(async () => {
    await site.close();
  });

  describe('names', () => {
    it.each([
      ['/hello.txt', 'hello, world\n'],
      ['/with%20space.txt', 'a file with spaces\n'],
      ['/unicod%C3%A9.txt', 'unicode name\n'],
      ['/hash%23name.txt', 'hash in name\n'],
      ['/literal%2520name.txt', 'literal percent-20 in name\n'],
      ['/noext', 'no extension here\n'],
      ['/empty.txt', ''],
      ['/hello.txt?x=1', 'hello, world\n'],
      ['/hello.txt?x=/../../etc/passwd', 'hello, world\n'],
      ['/nested/page.html', '<!doctype html><title>page</title><p>nested page</p>\n'],
      ['/nested/deeper/file.txt', readFileSync(join(SITE, 'nested/deeper/file.txt'), 'utf8')],
      ['/no-index/file.txt', 'a file in a directory without index\n'],
    ])('GET %s → 200 with the file', async (target, body) => {
      const res = await rawRequest(site.port, target);
      expect(res.status).toBe(200);
      expect(text(res)).toBe(body);
    });

    it('decodes exactly once: /literal%20name.txt names "literal name.txt", which does not exist', async () => {
      const res = await rawRequest(site.port, '/literal%20name.txt');
      expect(res.status).toBe(404);
      expect(text(res)).not.toContain('literal percent-20');
    });
  });

  describe('directories', () => {
    it.each([
      ['/', 'Fixture home'],
      ['/nested/', 'nested index'],
      ['/snow%20%E2%98%83/', 'snowman directory'],
      ['/nested/?x=1', 'nested index'],
    ])('GET %s → 200 with its index.html', async (target, marker) => {
      const res = await rawRequest(site.port, target);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(text(res)).toContain(marker);
    });

    it.each([
      ['/nested', '/nested/'],
      ['/nested?x=1', '/nested/?x=1'],
      ['/nested/deeper', '/nested/deeper/'],
      ['/no-index', '/no-index/'],
      ['/snow%20%E2%98%83', '/snow%20%E2%98%83/'],
      ['/snow%20%E2%98%83?a=b&c', '/snow%20%E2%98%83/?a=b&c'],
      ['http://evil.com/nested', '/nested/'],
    ])('GET %s → 301 to %s', async (target, location) => {
      const res = await rawRequest(site.port, target);
      expect(res.status).toBe(301);
      expect(res.headers.location).toBe(location);
      expectPathOnlyLocation(res.headers.location, `127.0.0.1:${site.port}`);
      expect(res.headers['content-security-policy']).toBe(BUILT_IN_CSP);
    });

    it('a redirect never reflects the Host header', async () => {
      const res = await rawRequest(site.port, '/nested?x=1', { headers: { Host: 'attacker.example' } });
      expect(res.status).toBe(301);
      expect(res.headers.location).toBe('/nested/?x=1');
      expectPathOnlyLocation(res.headers.location, 'attacker.example');
      expect(text(res)).not.toContain('attacker.example');
    });

    it('a directory without index.html is listed by default', async () => {
      const res = await rawRequest(site.port, '/no-index/');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(text(res)).toContain('href="/no-index/file.txt"');
    });

    it.each([['/hello.txt/'], ['/hello.txt//'], ['/nested/page.html/']])(
      'GET %s → 404',
      async (target) => {
        const res = await rawRequest(site.port, target);
        expect(res.status).toBe(404);
        expect(text(res)).toBe(CUSTOM_404);
      },
    );
  });

  describe('dotfiles', () => {
    it.each([
      ['/.env', 'SECRET=dotenv'],
      ['/%2eenv', 'SECRET=dotenv'],
      ['/%2Eenv', 'SECRET=dotenv'],
      ['/.hidden/secret.txt', 'hidden directory secret'],
      ['/%2ehidden%2fsecret.txt', 'hidden directory secret'],
      ['/.hidden/', 'hidden directory secret'],
      ['/.hidden', 'hidden directory secret'],
      ['//.env', 'SECRET=dotenv'],
      ['/./.env', 'SECRET=dotenv'],
      ['http://evil.com/.env', 'SECRET=dotenv'],
    ])('GET %s → 404 without the contents', async (target, secret) => {
      const res = await rawRequest(site.port, target);
      expect(res.status).toBe(404);
      expect(text(res)).not.toContain(secret);
      expect(res.headers.location).toBeUndefined();
    });

    it('serves /.well-known/security.txt (RFC 8615)', async () => {
      const res = await rawRequest(site.port, '/.well-known/security.txt');
      expect(res.status).toBe(200);
      expect(text(res)).toBe('Contact: mailto:security@example.com\n');
    });
  });

  describe('absolute-form and non-path targets', () => {
    it.each([
      ['http://evil.com/hello.txt', 'hello, world\n'],
      ['HTTP://EVIL.COM/hello.txt', 'hello, world\n'],
      ['http://evil.com:8080/with%20space.txt?x=1', 'a file with spaces\n'],
      ['https://127.0.0.1/hello.txt', 'hello, world\n'],
    ])('GET %s → 200 with the path part', async (target, body) => {
      const res = await rawRequest(site.port, target);
      expect(res.status).toBe(200);
      expect(text(res)).toBe(body);
    });

    it.each([['hello.txt'], ['*'], ['evil.com/hello.txt'], ['./hello.txt'], ['%2fhello.txt'], ['\\hello.txt']])(
      'GET %s → 400',
      async (target) => {
        const res = await rawRequest(site.port, target);
        expect(res.status).toBe(400);
        expect(text(res)).not.toContain('hello, world');
      },
    );
  });

  describe('the custom 404 page', () => {
    it.each([['/missing.txt'], ['/nested/missing.html'], ['/%252e%252e/hello.txt']])(
      'GET %s → 404 with the root 404.html',
      async (target) => {
        const res = await rawRequest(site.port, target);
        expect(res.status).toBe(404);
        expect(res.headers['content-type']).toMatch(/^text\/html/);
        expect(text(res)).toBe(CUSTOM_404);
        expect(text(res)).toContain('Custom not found page');
      },
    );

    it.each([['/<script>alert(1)</script>'], ['/%3Cscript%3Ealert(1)%3C%2Fscript%3E']])(
      'does not echo the path %s',
      async (target) => {
        const res = await rawRequest(site.port, target);
        expect(res.status).toBe(404);
        expect(text(res)).toBe(CUSTOM_404);
        expect(text(res)).not.toContain('<script>');
      },
    );
  });
});

describe('traversal, encodings and open-redirect probes (root with symlinks, FIFOs and an outside secret)', () => {
  let site: TestServer;
  let copy: { root: string; cleanup(): void };
  let outside: string;
  /** Name of the outside directory, a sibling of the served copy in the temp dir. */
  let out: string;

  beforeAll(async () => {
    outside = makeOutsideDir();
    out = basename(outside);
    copy = copySite();
    const { root } = copy;
    const at = (...parts: string[]): string => join(root, ...parts);

    mkdirSync(at('.git'));
    writeFileSync(at('.git', 'config'), '[core]\n\tGIT-CONFIG-SECRET\n');
    mkdirSync(at('evil.com'));
    writeFileSync(at('evil.com', 'index.html'), '<p>a directory named evil.com</p>\n');

    symlinkSync('hello.txt', at('link-hello.txt'));
    symlinkSync(at('nested', 'page.html'), at('link-absolute.html'));
    symlinkSync('../hello.txt', at('nested', 'up.txt'));
    symlinkSync('nested', at('link-nested'));
    symlinkSync('.env', at('to-env'));
    symlinkSync('.hidden', at('to-hidden'));
    symlinkSync('hello.txt', at('.dot-link.txt'));
    symlinkSync('nested', at('.dot-link-dir'));
    symlinkSync(join(outside, 'secret.txt'), at('out-file.txt'));
    symlinkSync(`../${out}/secret.txt`, at('out-relative.txt'));
    symlinkSync(outside, at('out-dir'));
    symlinkSync('does-not-exist.txt', at('dangling.txt'));
    symlinkSync('loop-b', at('loop-a'));
    symlinkSync('loop-a', at('loop-b'));
    execFileSync('mkfifo', [at('pipe')]);
    execFileSync('mkfifo', [at('nested', 'pipe.html')]);

    site = await startServer({ root });
  });

  afterAll(async () => {
    await site?.close();
    copy?.cleanup();
    if (outside) rmSync(outside, { recursive: true, force: true });
  });

  it('starts with dangling links, loops and FIFOs under the root', async () => {
    expect(site.port).toBeGreaterThan(0);
    const res = await rawRequest(site.port, '/');
    expect(res.status).toBe(200);
    expect(text(res)).toContain('Fixture home');
  });

  // `{out}` is replaced by the outside directory's name: `/../{out}/secret.txt` is a real escape.
  it.each([
    ['/../{out}/secret.txt', 400],
    ['/..', 400],
    ['/../', 400],
    ['/..%2f{out}%2fsecret.txt', 400],
    ['/..%2F..%2F..%2Fetc%2Fpasswd', 400],
    ['/..%2f..%2fetc%2fpasswd', 400],
    ['/%2e%2e/{out}/secret.txt', 400],
    ['/%2E%2E/{out}/secret.txt', 400],
    ['/.%2e/{out}/secret.txt', 400],
    ['/%2e./{out}/secret.txt', 400],
    ['/%2e%2e%2f{out}%2fsecret.txt', 400],
    ['/nested/../../{out}/secret.txt', 400],
    ['/nested/%2e%2e/%2e%2e/{out}/secret.txt', 400],
    ['/nested/..', 400],
    ['/nested/../hello.txt', 400],
    ['/hello.txt/..', 400],
    ['//../{out}/secret.txt', 400],
    ['/./../{out}/secret.txt', 400],
    ['http://evil.com/../{out}/secret.txt', 400],
    ['/..\\{out}\\secret.txt', 400],
    ['/%5c..%5c{out}%5csecret.txt', 400],
    ['/%2e%2e%5c{out}%5csecret.txt', 400],
    ['/nested\\page.html', 400],
    ['/hello.txt%5c', 400],
    ['/hello.txt%00', 400],
    ['/hello.txt%00.html', 400],
    ['/%00', 400],
    ['/%', 400],
    ['/%zz', 400],
    ['/hello%2.txt', 400],
    ['/%E2%98', 400],
    ['/%C0%AE%C0%AE/{out}/secret.txt', 400],
    ['/%252e%252e/{out}/secret.txt', 404],
    ['/%252e%252e%252f{out}%252fsecret.txt', 404],
    ['/..%252f{out}%252fsecret.txt', 404],
    ['/...', 404],
    ['/..;/{out}/secret.txt', 404],
    ['/{out}/secret.txt', 404],
    ['/hello.txt?/../../{out}/secret.txt', 200],
    ['/nested/up.txt', 200],
  ])('GET %s → %i', async (pattern, status) => {
    const target = pattern.replaceAll('{out}', out);
    const res = await rawRequest(site.port, target);
    expect(res.status).toBe(status);
    expect(text(res)).not.toContain(OUTSIDE_MARKER);
    if (status === 200) expect(text(res)).toBe('hello, world\n');
    else expect(res.headers.location).toBeUndefined();
  });

  // Every 301 must be path-only: exactly one leading `/`, then neither `/` nor `\`.
  it.each([
    ['//evil.com', 301, '/evil.com/'],
    ['//evil.com/', 200, undefined],
    ['//evil.com/nested', 404, undefined],
    ['//evil.com//', 200, undefined],
    ['/%2f%2fevil.com', 301, '/evil.com/'],
    ['/%2fevil.com', 301, '/evil.com/'],
    ['/%2F%2Fevil.com%2F', 200, undefined],
    ['/.%2f/evil.com', 301, '/evil.com/'],
    ['///evil.com', 301, '/evil.com/'],
    ['///evil.com/..', 400, undefined],
    ['//evil.com/%2e%2e', 400, undefined],
    ['//evil.com/%2e%2e/nested', 400, undefined],
    ['/%5cevil.com', 400, undefined],
    ['/%5c%5cevil.com', 400, undefined],
    ['/\\evil.com', 400, undefined],
    ['/\\\\evil.com/nested', 400, undefined],
    ['//nested', 301, '/nested/'],
    ['//nested?x=1', 301, '/nested/?x=1'],
    ['/nested?//evil.com', 301, '/nested/?//evil.com'],
    ['/nested?/\\evil.com', 301, '/nested/?/\\evil.com'],
    ['http://evil.com//evil.com', 301, '/evil.com/'],
    ['http://evil.com//nested', 301, '/nested/'],
    ['//link-nested', 301, '/link-nested/'],
  ])('GET %s → %i (Location %s)', async (target, status, location) => {
    const host = `127.0.0.1:${site.port}`;
    const res = await rawRequest(site.port, target);
    expect(res.status).toBe(status);
    expect(res.headers.location).toBe(location);
    if (res.status === 301) expectPathOnlyLocation(res.headers.location, host);
  });

  describe('dotfiles in the copy', () => {
    it.each([
      ['/.git/config', 'GIT-CONFIG-SECRET'],
      ['/.git/', 'GIT-CONFIG-SECRET'],
      ['/.git', 'GIT-CONFIG-SECRET'],
      ['/%2egit/config', 'GIT-CONFIG-SECRET'],
      ['/to-env', 'SECRET=dotenv'],
      ['/to-hidden/secret.txt', 'hidden directory secret'],
      ['/to-hidden/', 'hidden directory secret'],
      // A dot-named link is hidden by its name even though what it points to is public.
      ['/.dot-link.txt', 'hello, world'],
      ['/.dot-link-dir/page.html', 'nested page'],
      ['/.dot-link-dir/', 'nested index'],
    ])('GET %s → 404', async (target, secret) => {
      const res = await rawRequest(site.port, target);
      expect(res.status).toBe(404);
      expect(text(res)).not.toContain(secret);
      expect(text(res)).toBe(CUSTOM_404);
    });
  });

  describe('symlinks', () => {
    it.each([
      ['/link-hello.txt', 'hello, world\n'],
      ['/link-absolute.html', '<!doctype html><title>page</title><p>nested page</p>\n'],
      ['/nested/up.txt', 'hello, world\n'],
      ['/link-nested/', '<!doctype html><title>nested</title><p>nested index</p>\n'],
      ['/link-nested/page.html', '<!doctype html><title>page</title><p>nested page</p>\n'],
      ['/link-nested/deeper/file.txt', readFileSync(join(SITE, 'nested/deeper/file.txt'), 'utf8')],
    ])('a link inside the root to something inside works: GET %s → 200', async (target, body) => {
      const res = await rawRequest(site.port, target);
      expect(res.status).toBe(200);
      expect(text(res)).toBe(body);
    });

    it('a link to a directory inside redirects to its slash form', async () => {
      const res = await rawRequest(site.port, '/link-nested');
      expect(res.status).toBe(301);
      expect(res.headers.location).toBe('/link-nested/');
    });

    it.each([
      ['/out-file.txt'],
      ['/out-relative.txt'],
      ['/out-dir/secret.txt'],
      ['/out-dir/sub/'],
      ['/out-dir/sub/index.html'],
      ['/out-dir/'],
      ['/out-dir'],
      ['/out-dir/sub'],
      ['/dangling.txt'],
      ['/loop-a'],
      ['/loop-b'],
      ['/loop-a/'],
      ['/loop-a/x.txt'],
    ])('GET %s → 404 (outside, dangling or looping)', async (target) => {
      const res = await rawRequest(site.port, target);
      expect(res.status).toBe(404);
      expect(text(res)).not.toContain(OUTSIDE_MARKER);
      expect(text(res)).toBe(CUSTOM_404);
      expect(res.headers.location).toBeUndefined();
    });
  });

  describe('FIFOs', () => {
    it.each([['/pipe'], ['/pipe/'], ['/nested/pipe.html']])('GET %s → 404 without opening it', async (target) => {
      const started = Date.now();
      const res = await rawRequest(site.port, target);
      expect(res.status).toBe(404);
      expect(text(res)).toBe(CUSTOM_404);
      expect(Date.now() - started).toBeLessThan(2_000);
    });

    it('concurrent FIFO requests do not block other requests', async () => {
      const fifoResponses = await Promise.all(
        Array.from({ length: 8 }, (_, i) => rawRequest(site.port, i % 2 ? '/pipe' : '/nested/pipe.html')),
      );
      expect(fifoResponses.map((res) => res.status)).toEqual(Array(8).fill(404));
      const started = Date.now();
      const normal = await rawRequest(site.port, '/hello.txt');
      expect(normal.status).toBe(200);
      expect(text(normal)).toBe('hello, world\n');
      expect(Date.now() - started).toBeLessThan(2_000);
    });
  });
});

describe('the built-in pages (no 404.html in the root)', () => {
  let site: TestServer;
  let copy: { root: string; cleanup(): void };

  beforeAll(async () => {
    copy = copySite();
    unlinkSync(join(copy.root, '404.html'));
    mkdirSync(join(copy.root, '<script>'));
    site = await startServer({ root: copy.root });
  });
  afterAll(async () => {
    await site?.close();
    copy?.cleanup();
  });

  it('a 404 is the small built-in page with a locked-down CSP', async () => {
    const res = await rawRequest(site.port, '/missing.txt');
    expect(res.status).toBe(404);
    expect(res.headers['content-security-policy']).toBe(BUILT_IN_CSP);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(text(res)).toContain('404');
    expect(text(res)).not.toContain('Custom not found page');
    expect(text(res)).not.toContain('missing.txt');
    expect(res.body.length).toBeLessThan(512);
  });

  it.each([
    ['/<script>alert(1)</script>', 404],
    ['/%3Cscript%3Ealert(1)%3C%2Fscript%3E', 404],
    ['/x/<script>alert(1)</script>.html', 404],
    ['/<script>alert(1)</script>/../x', 400],
    ['/%3Cscript%3Ealert(1)%3C/script%3E%00', 400],
    ['/%3Cscript%3Ealert(1)%3C/script%3E%', 400],
    ['/nested?<script>alert(1)</script>', 301],
    ['/nested?%3Cscript%3Ealert(1)%3C/script%3E', 301],
    ['/%3Cscript%3E', 301],
    ['/<script>', 301],
  ])('GET %s → %i, built-in page that does not echo the request', async (target, status) => {
    const res = await rawRequest(site.port, target);
    expect(res.status).toBe(status);
    expect(res.headers['content-security-policy']).toBe(BUILT_IN_CSP);
    expect(text(res)).not.toMatch(/<script/i);
    expect(text(res)).not.toMatch(/%3Cscript/i);
    expect(text(res)).not.toContain('alert(1)');
    if (status === 301) expectPathOnlyLocation(res.headers.location, `127.0.0.1:${site.port}`);
  });

  it('the redirect for a directory named <script> encodes it in Location', async () => {
    const res = await rawRequest(site.port, '/%3Cscript%3E');
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('/%3Cscript%3E/');
  });
});

describe('a FIFO named 404.html', () => {
  let site: TestServer;
  let copy: { root: string; cleanup(): void };

  beforeAll(async () => {
    copy = copySite();
    unlinkSync(join(copy.root, '404.html'));
    execFileSync('mkfifo', [join(copy.root, '404.html')]);
    site = await startServer({ root: copy.root });
  });
  afterAll(async () => {
    await site?.close();
    copy?.cleanup();
  });

  it('is not opened: 404s get the built-in page and other requests keep flowing', async () => {
    const misses = await Promise.all(Array.from({ length: 8 }, (_, i) => rawRequest(site.port, `/missing-${i}`)));
    for (const res of misses) {
      expect(res.status).toBe(404);
      expect(res.headers['content-security-policy']).toBe(BUILT_IN_CSP);
    }
    const direct = await rawRequest(site.port, '/404.html');
    expect(direct.status).toBe(404);
    const normal = await rawRequest(site.port, '/hello.txt');
    expect(normal.status).toBe(200);
    expect(text(normal)).toBe('hello, world\n');
  });
});

describe('root containment is a real prefix check', () => {
  let parent: string;
  let site: TestServer;

  beforeAll(async () => {
    parent = mkdtempSync(join(tmpdir(), 'tiny-serve-prefix-'));
    const root = join(parent, 'public');
    mkdirSync(root);
    mkdirSync(join(parent, 'public-secret'));
    writeFileSync(join(parent, 'public-secret', 'secret.txt'), `${OUTSIDE_MARKER}\n`);
    writeFileSync(join(root, 'index.html'), '<p>public index</p>\n');
    symlinkSync('../public-secret/secret.txt', join(root, 'x'));
    symlinkSync('../public-secret', join(root, 'y'));
    site = await startServer({ root });
  });
  afterAll(async () => {
    await site?.close();
    if (parent) rmSync(parent, { recursive: true, force: true });
  });

  it.each([
    ['/x', 404],
    ['/y/secret.txt', 404],
    ['/y/', 404],
    ['/y', 404],
    ['/../public-secret/secret.txt', 400],
    ['/..%2fpublic-secret%2fsecret.txt', 400],
    ['/', 200],
  ])('serving <tmp>/public, GET %s → %i, never <tmp>/public-secret', async (target, status) => {
    const res = await rawRequest(site.port, target);
    expect(res.status).toBe(status);
    expect(text(res)).not.toContain(OUTSIDE_MARKER);
    if (status === 200) expect(text(res)).toBe('<p>public index</p>\n');
  });
});
