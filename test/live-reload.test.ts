// Live reload (`--watch`): the client injected into HTML byte-exactly, the injected representation over
// HTTP (length, ETag, no ranges, 304, HEAD, compression, no precompressed siblings), the client script,
// the event stream (one debounced event per save, ignored paths, several clients), cleanup, and the CLI.
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, request, type ClientRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { createHandler } from '../src/handler/handler.js';
import { LIVE_SCRIPT_LENGTH, createLiveReload, injectClient, type LiveReload } from '../src/features/live-reload.js';
import { createWatches, type Change, type DirectoryWatches } from '../src/files/watches.js';
import { decoded, CLI, copySite, rawRequest, SITE, startServer, waitFor, type RawResponse, type TestServer } from './helpers.js';
import { delay, httpGet, runCli, startCli, stopAll } from './cli-helpers.js';
import { SAVE_STYLES, urlPathOf } from './editor-saves.js';

/**
 * What the handler inserts, and the paths it reserves (as the README documents them): spelled out
 * here so the tests do not just echo the implementation.
 */
const TAG = '<script src="/__tiny-serve/client.js"></script>';
const CLIENT_PATH = '/__tiny-serve/client.js';
const EVENTS_PATH = '/__tiny-serve/events';
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
/** How long a "nothing happens" assertion waits: several debounce periods. */
const QUIET_MS = 500;
/** After the first event, long enough for a second (debounced) one to show up if there were one. */
const SETTLE_MS = 300;

/** `html` with the tag before its last `</body>` (lowercase) or at its end: the expectation, by hand. */
function injectedByHand(html: Buffer): Buffer {
  const index = html.lastIndexOf('</body>');
  if (index === -1) return Buffer.concat([html, Buffer.from(TAG)]);
  return Buffer.concat([html.subarray(0, index), Buffer.from(TAG), html.subarray(index)]);
}


function withoutDate(headers: RawResponse['headers']): Record<string, unknown> {
  const { date: _date, ...rest } = headers;
  return rest;
}

/** One parsed Server-Sent Events message: its fields (comments dropped). */
type SseMessage = Record<string, string>;

/**
 * A client of the event stream, read incrementally. `open` resolves once the first message (the
 * `retry:` line) has arrived, so the server has registered the client before the test writes files.
 */
class EventStream {
  raw = '';
  /** True once the response ended cleanly (the whole chunked body arrived). */
  endedCleanly = false;
  /** Resolves when the response is over, cleanly or not. */
  readonly over: Promise<void>;

  private constructor(
    readonly req: ClientRequest,
    readonly res: IncomingMessage,
  ) {
    res.setEncoding('utf8');
    res.on('data', (text: string) => {
      this.raw += text;
    });
    res.on('error', () => {});
    this.over = new Promise<void>((done) => {
      res.once('end', () => {
        this.endedCleanly = true;
        done();
      });
      res.once('close', () => done());
    });
  }

  static open(port: number, host = '127.0.0.1'): Promise<EventStream> {
    return new Promise((done, fail) => {
      const req = request({ host, port, path: EVENTS_PATH, agent: false }, (res) => {
        const stream = new EventStream(req, res);
        if (res.statusCode !== 200) {
          res.resume();
          fail(new Error(`event stream answered ${res.statusCode}`));
          return;
        }
        const ready = (): void => {
          if (!stream.raw.includes('\n\n')) return;
          res.off('data', ready);
          done(stream);
        };
        res.on('data', ready);
        res.once('end', () => fail(new Error(`event stream ended before its first message: ${JSON.stringify(stream.raw)}`)));
      });
      req.on('error', fail);
      req.end();
    });
  }

  /** Complete messages so far (a message ends with a blank line). */
  get messages(): SseMessage[] {
    const blocks = this.raw.split('\n\n');
    blocks.pop(); // the part after the last blank line is incomplete (usually empty)
    return blocks.map((block) => {
      const fields: SseMessage = {};
      for (const line of block.split('\n')) {
        if (line === '' || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const name = colon === -1 ? line : line.slice(0, colon);
        fields[name] = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      }
      return fields;
    });
  }

  /** The paths of every `change` event so far, each list sorted. */
  get changes(): string[][] {
    return this.messages
      .filter((message) => message.event === 'change')
      .map((message) => {
        const parsed = JSON.parse(message.data ?? '') as { paths: string[] };
        return [...parsed.paths].sort();
      });
  }

  /** Waits until at least `count` change events have arrived; fails with what did arrive. */
  async waitForChanges(count: number, timeoutMs = 3_000): Promise<string[][]> {
    const arrived = await waitFor(() => this.changes.length >= count, timeoutMs);
    if (!arrived) throw new Error(`expected ${count} change event(s) within ${timeoutMs} ms, got: ${JSON.stringify(this.raw)}`);
    return this.changes;
  }

  destroy(): void {
    this.req.destroy();
  }
}

/** Open sockets of `server`, kept current by polling, so `waitFor` (synchronous) can watch them. */
function watchConnections(server: Server): { readonly count: number; stop(): void } {
  let count = -1;
  const poll = (): void => {
    server.getConnections((error, value) => {
      if (!error) count = value;
    });
  };
  poll();
  const timer = setInterval(poll, 10);
  return {
    get count() {
      return count;
    },
    stop: () => clearInterval(timer),
  };
}

describe('injectClient', () => {
  const cases: [string, Buffer, Buffer][] = [
    ['before </body>', Buffer.from('<html><body><p>hi</p></body></html>\n'), Buffer.from(`<html><body><p>hi</p>${TAG}</body></html>\n`)],
    [
      'before the last </body> when there are two',
      Buffer.from('<body>a</body>\n<!-- stray --></body></html>'),
      Buffer.from(`<body>a</body>\n<!-- stray -->${TAG}</body></html>`),
    ],
    ['before an uppercase </BODY>', Buffer.from('<BODY>x</BODY></HTML>'), Buffer.from(`<BODY>x${TAG}</BODY></HTML>`)],
    ['before a mixed-case </Body>', Buffer.from('<Body>x</Body>'), Buffer.from(`<Body>x${TAG}</Body>`)],
    ['before </body > with a space', Buffer.from('<body>x</body ></html>'), Buffer.from(`<body>x${TAG}</body ></html>`)],
    ['before </body\\n> with a newline', Buffer.from('<body>x</body\n></html>'), Buffer.from(`<body>x${TAG}</body\n></html>`)],
    ['at the end without </body>', Buffer.from('<!doctype html><title>t</title><p>no body end'), Buffer.from(`<!doctype html><title>t</title><p>no body end${TAG}`)],
    ['at the end when </bodyx> is not a body end tag', Buffer.from('<bodyx>x</bodyx>'), Buffer.from(`<bodyx>x</bodyx>${TAG}`)],
    ['alone for an empty file', Buffer.alloc(0), Buffer.from(TAG)],
    [
      'after a UTF-8 BOM, which stays first',
      Buffer.concat([BOM, Buffer.from('<body>x</body>')]),
      Buffer.concat([BOM, Buffer.from(`<body>x${TAG}</body>`)]),
    ],
    ['after a BOM, at the end without </body>', Buffer.concat([BOM, Buffer.from('<p>x')]), Buffer.concat([BOM, Buffer.from(`<p>x${TAG}`)])],
    [
      'with multi-byte UTF-8 before and after',
      Buffer.from('<body>héllo ☃ 日本語 😀</body><!-- ünïcödé 🎉 -->'),
      Buffer.from(`<body>héllo ☃ 日本語 😀${TAG}</body><!-- ünïcödé 🎉 -->`),
    ],
    [
      'with bytes that are not valid UTF-8',
      Buffer.concat([Buffer.from([0xff, 0xfe, 0x80, 0xc3]), Buffer.from('<body>\xe9</body>', 'latin1'), Buffer.from([0xf0, 0x9f])]),
      Buffer.concat([Buffer.from([0xff, 0xfe, 0x80, 0xc3]), Buffer.from(`<body>\xe9${TAG}</body>`, 'latin1'), Buffer.from([0xf0, 0x9f])]),
    ],
  ];

  it.each(cases)('inserts the tag %s, byte for byte', (_name, input, expected) => {
    const output = injectClient(input);

    expect(output.equals(expected)).toBe(true);
    expect(output.length).toBe(input.length + LIVE_SCRIPT_LENGTH);
  });

  // A page with many `</body>` strings (a template gallery, a test page) must not stall the server:
  // finding the last one is linear work (about a millisecond here), not a rescan after every match.
  it('finds the last of 40,000 </body> in linear time', () => {
    const html = Buffer.from('<p>x</p></body>'.repeat(40_000));
    const started = performance.now();
    const output = injectClient(html);
    const elapsed = performance.now() - started;

    expect(output.subarray(output.length - TAG.length - 7).toString()).toBe(`${TAG}</body>`);
    expect(elapsed).toBeLessThan(500);
  }, 20_000);

  it('does not modify its input', () => {
    const input = Buffer.from('<body>x</body>');
    const copy = Buffer.from(input);
    injectClient(input);
    expect(input.equals(copy)).toBe(true);
  });
});

/** A temp copy of the fixture site per test, servers started on it, all closed and removed afterwards. */
function useLiveSite() {
  const state = {
    site: undefined as unknown as ReturnType<typeof copySite>,
    servers: [] as TestServer[],
    streams: [] as EventStream[],
  };
  beforeEach(() => {
    state.site = copySite();
  });
  afterEach(async () => {
    for (const stream of state.streams.splice(0)) stream.destroy();
    await Promise.all(state.servers.splice(0).map((server) => server.close()));
    state.site.cleanup();
  });
  return {
    file: (name: string): string => join(state.site.root, name),
    root: (): string => state.site.root,
    async serve(options: Parameters<typeof startServer>[0] = {}): Promise<TestServer> {
      const server = await startServer({ root: state.site.root, watch: true, ...options });
      state.servers.push(server);
      return server;
    },
    async stream(port: number): Promise<EventStream> {
      const stream = await EventStream.open(port);
      state.streams.push(stream);
      return stream;
    },
  };
}

describe('injected HTML over HTTP', () => {
  const live = useLiveSite();

  it.each([
    ['/', 'index.html'],
    ['/index.html', 'index.html'],
    ['/nested/', 'nested/index.html'],
    ['/nested/page.html', 'nested/page.html'],
  ])('GET %s carries the client, with an exact Content-Length and a -live ETag', async (path, name) => {
    const server = await live.serve();
    const res = await rawRequest(server.port, path);

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body.equals(injectedByHand(readFileSync(live.file(name))))).toBe(true);
    expect(res.headers['content-length']).toBe(String(res.body.length));
    expect(res.headers['content-length']).toBe(String(statSync(live.file(name)).size + LIVE_SCRIPT_LENGTH));
    expect(res.headers['transfer-encoding']).toBeUndefined();
    expect(res.headers.etag).toMatch(/^"[^"]+-live"$/);
    expect(res.headers['accept-ranges']).toBeUndefined();
  });

  it('has its own ETag, different from the same file served without watch', async () => {
    const watched = await live.serve();
    const plain = await live.serve({ watch: false });
    const liveRes = await rawRequest(watched.port, '/index.html');
    const plainRes = await rawRequest(plain.port, '/index.html');

    expect(plainRes.body.equals(readFileSync(live.file('index.html')))).toBe(true);
    expect(plainRes.headers.etag).toMatch(/^"[^"]+"$/);
    expect(plainRes.headers.etag).not.toMatch(/-live"$/);
    expect(liveRes.headers.etag).toMatch(/-live"$/);
    expect(liveRes.headers.etag).not.toBe(plainRes.headers.etag);
  });

  it('answers a Range request with 200 and the whole injected body', async () => {
    const server = await live.serve();
    const res = await rawRequest(server.port, '/index.html', { headers: { Range: 'bytes=0-9' } });

    expect(res.status).toBe(200);
    expect(res.headers['content-range']).toBeUndefined();
    expect(res.headers['accept-ranges']).toBeUndefined();
    expect(res.body.equals(injectedByHand(readFileSync(live.file('index.html'))))).toBe(true);
    expect(res.headers['content-length']).toBe(String(res.body.length));
  });

  it('answers If-None-Match with the live ETag with 304, but not with the plain file ETag', async () => {
    const server = await live.serve();
    const plain = await live.serve({ watch: false });
    const first = await rawRequest(server.port, '/index.html');
    const plainEtag = (await rawRequest(plain.port, '/index.html')).headers.etag!;

    const revalidated = await rawRequest(server.port, '/index.html', { headers: { 'If-None-Match': first.headers.etag! } });
    expect(revalidated.status).toBe(304);
    expect(revalidated.body.length).toBe(0);
    expect(revalidated.headers.etag).toBe(first.headers.etag);

    // A copy cached without the client (served before --watch) must not be declared fresh, even
    // though its Last-Modified is the file's (If-None-Match decides when both are sent).
    const stale = await rawRequest(server.port, '/index.html', {
      headers: { 'If-None-Match': plainEtag, 'If-Modified-Since': first.headers['last-modified']! },
    });
    expect(stale.status).toBe(200);
    expect(stale.body.toString()).toContain(TAG);
  });

  it.each([
    ['identity', undefined],
    ['gzip', 'gzip'],
    ['br', 'br'],
  ])('HEAD answers the same headers as GET, with no body (%s)', async (_name, coding) => {
    const server = await live.serve();
    writeFileSync(live.file('big.html'), `<html><body>${'<p>paragraph</p>\n'.repeat(200)}</body></html>\n`);
    const headers: Record<string, string> = coding ? { 'Accept-Encoding': coding } : {};
    for (const path of ['/index.html', '/big.html']) {
      const get = await rawRequest(server.port, path, { headers });
      const head = await rawRequest(server.port, path, { method: 'HEAD', headers });

      expect(head.status).toBe(200);
      expect(head.body.length).toBe(0);
      expect(withoutDate(head.headers)).toEqual(withoutDate(get.headers));
    }
  });

  it('serves the new contents, with a new ETag, right after the file is edited', async () => {
    const server = await live.serve();
    const before = await rawRequest(server.port, '/index.html');
    const edited = Buffer.from('<!doctype html><title>edited</title><body><h1>Edited — ✓</h1></body>\n');
    writeFileSync(live.file('index.html'), edited);

    const after = await rawRequest(server.port, '/index.html');
    expect(after.body.equals(injectedByHand(edited))).toBe(true);
    expect(after.headers['content-length']).toBe(String(after.body.length));
    expect(after.headers.etag).toMatch(/-live"$/);
    expect(after.headers.etag).not.toBe(before.headers.etag);
  });

  // 8 KiB stays in the file cache; 1.5 MiB is past its per-file limit and is read from disk.
  describe.each([
    ['8 KiB', 8 * 1024],
    ['1.5 MiB', 1.5 * 1024 * 1024],
  ])('a %s HTML page', (_size, size) => {
    function bigPage(): Buffer {
      const head = Buffer.from('<!doctype html><meta charset="utf-8"><title>big</title><body>\n');
      const tail = Buffer.from('</body></html>\n');
      const line = Buffer.from('<p>Grüße, ☃ and 😀: a line of text that compresses well.</p>\n');
      const lines = Math.ceil((size - head.length - tail.length) / line.length);
      return Buffer.concat([head, ...Array.from({ length: lines }, () => line), tail]);
    }

    it.each([
      ['gzip', 'gzip'],
      ['br', 'br'],
      ['br preferred over gzip', 'gzip, br'],
    ])('is compressed after injection (%s)', async (_name, acceptEncoding) => {
      const page = bigPage();
      writeFileSync(live.file('page.html'), page);
      const server = await live.serve();
      const res = await rawRequest(server.port, '/page.html', { headers: { 'Accept-Encoding': acceptEncoding } });
      const coding = acceptEncoding === 'gzip' ? 'gzip' : 'br';

      expect(res.status).toBe(200);
      expect(res.headers['content-encoding']).toBe(coding);
      expect(res.headers['content-length']).toBe(String(res.body.length));
      expect(res.body.length).toBeLessThan(page.length);
      expect(decoded(res).equals(injectedByHand(page))).toBe(true);
      expect(res.headers.etag).toMatch(new RegExp(`-live-${coding}"$`));
      expect(res.headers.vary).toMatch(/Accept-Encoding/);
      expect(res.headers['accept-ranges']).toBeUndefined();
    });

    it.each([
      ['gzip', '.gz', gzipSync],
      ['br', '.br', brotliCompressSync],
    ])('ignores a newer precompressed sibling (%s): the body still carries the client', async (coding, suffix, compress) => {
      const page = bigPage();
      writeFileSync(live.file('page.html'), page);
      const sibling = live.file(`page.html${suffix}`);
      writeFileSync(sibling, compress(Buffer.from('<html><body>PRECOMPRESSED SIBLING</body></html>')));
      const later = Date.now() / 1000 + 60;
      utimesSync(sibling, later, later);
      const server = await live.serve();
      const res = await rawRequest(server.port, '/page.html', { headers: { 'Accept-Encoding': coding } });

      expect(res.status).toBe(200);
      expect(res.headers['content-encoding']).toBe(coding);
      const body = decoded(res);
      expect(body.toString()).not.toContain('PRECOMPRESSED SIBLING');
      expect(body.equals(injectedByHand(page))).toBe(true);
      expect(res.headers.etag).toMatch(new RegExp(`-live-${coding}"$`));
    });

    it('HEAD with a coding answers the compressed length GET sends', async () => {
      writeFileSync(live.file('page.html'), bigPage());
      const server = await live.serve();
      const get = await rawRequest(server.port, '/page.html', { headers: { 'Accept-Encoding': 'gzip' } });
      const head = await rawRequest(server.port, '/page.html', { method: 'HEAD', headers: { 'Accept-Encoding': 'gzip' } });

      expect(head.body.length).toBe(0);
      expect(head.headers['content-length']).toBe(String(get.body.length));
      expect(withoutDate(head.headers)).toEqual(withoutDate(get.headers));
    });
  });

  it.each([
    ['/nested/page', 'nested/page.html'],
    ['/snow%20%E2%98%83/', 'snow ☃/index.html'],
  ])('injects pages found by clean URLs and encoded paths: %s', async (path, name) => {
    const server = await live.serve({ cleanUrls: true });
    const res = await rawRequest(server.port, path);

    expect(res.status).toBe(200);
    expect(res.body.equals(injectedByHand(readFileSync(live.file(name))))).toBe(true);
    expect(res.headers['content-length']).toBe(String(res.body.length));
  });

  it('a small HTML page is not compressed (under the size floor) but still injected', async () => {
    const server = await live.serve();
    const res = await rawRequest(server.port, '/index.html', { headers: { 'Accept-Encoding': 'gzip, br' } });

    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.body.toString()).toContain(TAG);
    expect(res.headers.etag).toMatch(/-live"$/);
  });

  it.each(['hello.txt', 'style.css', 'app.js', 'data.json'])('leaves %s untouched: same bytes and ETag as without watch', async (name) => {
    const watched = await live.serve();
    const plain = await live.serve({ watch: false });
    const liveRes = await rawRequest(watched.port, `/${name}`);
    const plainRes = await rawRequest(plain.port, `/${name}`);

    expect(liveRes.status).toBe(200);
    expect(liveRes.body.equals(readFileSync(live.file(name)))).toBe(true);
    expect(liveRes.body.toString()).not.toContain(TAG);
    expect(liveRes.headers.etag).toBe(plainRes.headers.etag);
    expect(liveRes.headers.etag).not.toMatch(/-live/);
    expect(liveRes.headers['accept-ranges']).toBe('bytes');
  });

  it('a range of a non-HTML file is still a 206', async () => {
    const server = await live.serve();
    const res = await rawRequest(server.port, '/hello.txt', { headers: { Range: 'bytes=0-4' } });

    expect(res.status).toBe(206);
    expect(res.body.toString()).toBe('hello');
  });

  it('injects the SPA fallback page (single: true)', async () => {
    const server = await live.serve({ single: true });
    const res = await rawRequest(server.port, '/client/side/route', { headers: { Accept: 'text/html' } });

    expect(res.status).toBe(200);
    expect(res.body.equals(injectedByHand(readFileSync(live.file('index.html'))))).toBe(true);
    expect(res.headers['content-length']).toBe(String(res.body.length));
    expect(res.headers.etag).toMatch(/-live"$/);
    expect(res.headers.vary).toMatch(/Accept-Encoding/);
    expect(res.headers.vary).toMatch(/Accept\b(?!-)/);
  });

  // The root's 404.html is an HTML page the user writes and edits like any other.
  it('injects the custom 404 page', async () => {
    const server = await live.serve();
    const res = await rawRequest(server.port, '/no/such/page');

    expect(res.status).toBe(404);
    expect(res.body.toString()).toContain('Custom not found page');
    expect(res.headers['content-length']).toBe(String(res.body.length));
    expect(res.body.toString()).toContain(TAG);
  });

  it('without watch: no client in HTML, and the reserved paths are ordinary (404)', async () => {
    const server = await live.serve({ watch: false });
    const page = await rawRequest(server.port, '/index.html');
    expect(page.body.equals(readFileSync(live.file('index.html')))).toBe(true);
    expect(page.headers.etag).not.toMatch(/-live/);
    expect(page.headers['accept-ranges']).toBe('bytes');

    for (const path of [EVENTS_PATH, CLIENT_PATH]) {
      const res = await rawRequest(server.port, path);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
    }
  });

  it('without watch, a user file at a reserved path is served as a file', async () => {
    mkdirSync(live.file('__tiny-serve'));
    writeFileSync(live.file('__tiny-serve/client.js'), 'console.log("mine");\n');
    const server = await live.serve({ watch: false });
    const res = await rawRequest(server.port, CLIENT_PATH);

    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('console.log("mine");\n');
  });

  it('with watch, only the two exact reserved paths are taken: other files under /__tiny-serve/ are served', async () => {
    mkdirSync(live.file('__tiny-serve'));
    writeFileSync(live.file('__tiny-serve/notes.txt'), 'mine\n');
    const server = await live.serve();
    const res = await rawRequest(server.port, '/__tiny-serve/notes.txt');

    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('mine\n');
  });
});

describe('the client script', () => {
  const live = useLiveSite();

  it('is served as JavaScript, never cached, and listens to the event stream', async () => {
    const server = await live.serve();
    const res = await rawRequest(server.port, CLIENT_PATH);

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-length']).toBe(String(res.body.length));
    const script = res.body.toString();
    expect(script).toContain('EventSource');
    expect(script).toContain('/__tiny-serve/events');
    expect(() => new Function(script)).not.toThrow(); // parses as a script
  });

  it('HEAD answers the same headers with no body', async () => {
    const server = await live.serve();
    const get = await rawRequest(server.port, CLIENT_PATH);
    const head = await rawRequest(server.port, CLIENT_PATH, { method: 'HEAD' });

    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(withoutDate(head.headers)).toEqual(withoutDate(get.headers));
  });
});

describe('the event stream', () => {
  const live = useLiveSite();

  it('is an uncached text/event-stream that starts with a retry delay', async () => {
    const server = await live.serve();
    const stream = await live.stream(server.port);

    expect(stream.res.statusCode).toBe(200);
    expect(stream.res.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(stream.res.headers['cache-control']).toBe('no-store');
    expect(stream.res.headers['content-length']).toBeUndefined();
    expect(stream.raw.startsWith('retry: 1000\n\n')).toBe(true);
  });

  it('a write under the root produces exactly one change event naming it', async () => {
    const server = await live.serve();
    const stream = await live.stream(server.port);
    writeFileSync(live.file('hello.txt'), 'changed\n');

    const [first] = await stream.waitForChanges(1);
    const raw = stream.raw;
    expect(raw).toMatch(/event: change\ndata: \{"paths":\["\/hello\.txt"\]\}\n\n/);
    expect(first).toEqual(['/hello.txt']);
    await delay(SETTLE_MS);
    expect(stream.changes).toEqual([['/hello.txt']]);
  });

  // Written back to back in one turn of the event loop, which the server shares with this test: every
  // file-system event is queued before the server reads the first, however loaded the machine. How
  // long the window stays open is tested with fake timers (the debounce window, below).
  it('several files written together produce one event listing them all', async () => {
    const server = await live.serve();
    const stream = await live.stream(server.port);
    writeFileSync(live.file('hello.txt'), 'one\n');
    writeFileSync(live.file('style.css'), 'body { color: red }\n');
    writeFileSync(live.file('nested/page.html'), '<body>two</body>\n');
    writeFileSync(live.file('added.txt'), 'new\n');

    await stream.waitForChanges(1);
    await delay(SETTLE_MS);
    expect(stream.changes).toEqual([['/added.txt', '/hello.txt', '/nested/page.html', '/style.css']]);
  });

  it('writes after the debounce produce a second event', async () => {
    const server = await live.serve();
    const stream = await live.stream(server.port);
    writeFileSync(live.file('hello.txt'), 'one\n');
    await stream.waitForChanges(1);
    writeFileSync(live.file('style.css'), 'body { color: blue }\n');

    expect(await stream.waitForChanges(2)).toEqual([['/hello.txt'], ['/style.css']]);
  });

  it('ignores node_modules, .git and dotfiles (no event), but still reports the next real change', async () => {
    const server = await live.serve();
    const stream = await live.stream(server.port);
    mkdirSync(live.file('node_modules/pkg'), { recursive: true });
    writeFileSync(live.file('node_modules/pkg/index.js'), 'module.exports = 1;\n');
    mkdirSync(live.file('nested/node_modules'), { recursive: true });
    writeFileSync(live.file('nested/node_modules/x.js'), '1\n');
    mkdirSync(live.file('.git'));
    writeFileSync(live.file('.git/HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(live.file('.env'), 'SECRET=2\n');
    writeFileSync(live.file('.hidden/secret.txt'), 'still secret\n');
    writeFileSync(live.file('nested/.swp'), 'editor\n');

    await delay(QUIET_MS);
    expect(stream.changes).toEqual([]);

    writeFileSync(live.file('hello.txt'), 'real\n');
    await stream.waitForChanges(1);
    await delay(SETTLE_MS);
    expect(stream.changes).toEqual([['/hello.txt']]);
  });

  it('watchIgnore globs add ignored paths', async () => {
    const server = await live.serve({ watchIgnore: ['**/*.tmp'] });
    const stream = await live.stream(server.port);
    writeFileSync(live.file('x.tmp'), 'scratch\n');
    writeFileSync(live.file('nested/deeper/y.tmp'), 'scratch\n');

    await delay(QUIET_MS);
    expect(stream.changes).toEqual([]);

    writeFileSync(live.file('x.tmp.txt'), 'not ignored\n');
    await stream.waitForChanges(1);
    await delay(SETTLE_MS);
    expect(stream.changes).toEqual([['/x.tmp.txt']]);
  });

  it('reports a new file in a new subdirectory, and later edits of it', async () => {
    const server = await live.serve();
    const stream = await live.stream(server.port);
    mkdirSync(live.file('fresh/dir'), { recursive: true });
    writeFileSync(live.file('fresh/dir/page.html'), '<body>new</body>\n');

    const [first] = await stream.waitForChanges(1);
    expect(first).toContain('/fresh/dir/page.html');

    await delay(SETTLE_MS);
    writeFileSync(live.file('fresh/dir/page.html'), '<body>edited</body>\n');
    const changes = await stream.waitForChanges(2);
    expect(changes[changes.length - 1]).toEqual(['/fresh/dir/page.html']);
  });

  it('reports a deleted file', async () => {
    const server = await live.serve();
    const stream = await live.stream(server.port);
    rmSync(live.file('hello.txt'));

    expect(await stream.waitForChanges(1)).toEqual([['/hello.txt']]);
  });

  it('every connected client receives the event', async () => {
    const server = await live.serve();
    const first = await live.stream(server.port);
    const second = await live.stream(server.port);
    writeFileSync(live.file('hello.txt'), 'both\n');

    expect(await first.waitForChanges(1)).toEqual([['/hello.txt']]);
    expect(await second.waitForChanges(1)).toEqual([['/hello.txt']]);
  });

  it('HEAD answers the stream headers and ends', async () => {
    const server = await live.serve();
    const res = await rawRequest(server.port, EVENTS_PATH, { method: 'HEAD' });

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body.length).toBe(0);
  });
});

describe('the debounce window', () => {
  let reported: ((change: Change) => void) | undefined;
  /** Directory watches the test reports changes through itself, at the (fake) times it chooses. */
  const watches: DirectoryWatches = {
    watch: () => 'watched',
    watchTree: () => Promise.resolve(),
    size: 0,
    subscribe: (listener) => {
      reported = listener;
      return () => (reported = undefined);
    },
    close: () => {},
  };
  const change = (name: string): void => reported!({ directory: SITE, name });
  let live: LiveReload;
  let sent: string[];

  beforeEach(async () => {
    // setImmediate and the clock stay real: the existence checks before an event is sent are real I/O.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    live = createLiveReload(SITE, watches);
    sent = [];
    // An event-stream response reduced to what live reload uses of it.
    const res = { destroyed: false, writeHead: () => res, write: (chunk: string) => sent.push(chunk), on: () => res, end: () => res };
    expect(live.handle({ method: 'GET' } as IncomingMessage, res as unknown as ServerResponse, EVENTS_PATH)).toBe(true);
    await untilSent(1);
    expect(sent).toEqual(['retry: 1000\n\n']);
  });
  afterEach(() => {
    live.close();
    vi.useRealTimers();
  });

  /** Waits (on real I/O) until `count` messages were sent; the fake timers decide when an event is due. */
  async function untilSent(count: number): Promise<void> {
    const deadline = performance.now() + 5_000;
    while (sent.length < count && performance.now() < deadline) await new Promise((done) => setImmediate(done));
  }
  const pathsOf = (message: string | undefined): string[] =>
    (JSON.parse(/^event: change\ndata: (.*)\n\n$/.exec(message ?? '')?.[1] ?? 'null') as { paths: string[] } | null)?.paths.sort() ?? [];

  it('gathers every change until 80 ms after the first into one event', async () => {
    change('hello.txt');
    vi.advanceTimersByTime(79);
    change('style.css');
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(1);
    await untilSent(2);
    expect(sent.slice(1).map(pathsOf)).toEqual([['/hello.txt', '/style.css']]);
    vi.advanceTimersByTime(1_000);
    await new Promise((done) => setImmediate(done));
    expect(sent).toHaveLength(2);
  });

  it('a change after the event went out starts the next one', async () => {
    change('hello.txt');
    vi.advanceTimersByTime(80);
    await untilSent(2);
    change('app.js');
    vi.advanceTimersByTime(79);
    expect(sent).toHaveLength(2);
    vi.advanceTimersByTime(1);
    await untilSent(3);
    expect(sent.slice(1).map(pathsOf)).toEqual([['/hello.txt'], ['/app.js']]);
  });
});

describe('editor saves, three in a row', () => {
  const live = useLiveSite();

  // Each save must reach the page, not only the first: an editor saves the same file again and again.
  // Only the saved file is named (temp files and backups are gone by then), so CSS is still swapped.
  describe.each(Object.entries(SAVE_STYLES))('%s', (_style, save) => {
    it.each(['index.html', 'style.css', 'app.js', 'nested/page.html'])('of %s: one event naming it per save', async (name) => {
      const server = await live.serve();
      const stream = await live.stream(server.port);
      const path = live.file(name);
      for (let round = 1; round <= 3; round += 1) {
        await save(live.root(), path, `/* save ${round} */\n`);
        const changes = await stream.waitForChanges(round);
        expect(changes[round - 1]).toEqual([urlPathOf(live.root(), path)]);
        // The file cache saw it too: the next request gets this save.
        expect((await rawRequest(server.port, `/${name}`)).body.toString()).toContain(`/* save ${round} */`);
        await delay(SETTLE_MS);
        expect(stream.changes).toHaveLength(round);
      }
    });
  });
});

describe('what a change event names', () => {
  const live = useLiveSite();
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Live reload fed by hand-made changes, with one event-stream client whose messages are kept. */
  async function fedByHand(): Promise<{ change(name: string): void; messages: string[]; close(): void }> {
    let listener: ((change: Change) => void) | undefined;
    const watches: DirectoryWatches = {
      watch: () => 'watched',
      watchTree: async () => {},
      subscribe: (added) => {
        listener = added;
        return () => (listener = undefined);
      },
      size: 0,
      close: () => {},
    };
    const reload = createLiveReload(live.root(), watches);
    const messages: string[] = [];
    const res = { writeHead: () => res, write: (text: string) => messages.push(text), end: () => {}, on: () => res, destroyed: false };
    reload.handle({ method: 'GET' } as IncomingMessage, res as unknown as ServerResponse, EVENTS_PATH);
    await waitFor(() => messages.length === 1, 1_000); // the retry line: the client is registered
    // From here the debounce timer runs only when a test says so.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    return { change: (name) => listener?.({ directory: live.root(), name }), messages, close: () => reload.close() };
  }

  /**
   * Runs the debounce timer, then lets the existence checks (real file-system calls) finish: until
   * an event was sent or the next window's timer is set.
   */
  async function window(messages: string[]): Promise<void> {
    const before = messages.length;
    await vi.advanceTimersByTimeAsync(80);
    for (let turn = 0; turn < 1_000 && messages.length === before && vi.getTimerCount() === 0; turn += 1) {
      await new Promise((done) => setImmediate(done));
    }
  }
  const named = (message: string | undefined): string[] => (JSON.parse(/data: (.*)\n/.exec(message ?? '')?.[1] ?? '{"paths":[]}') as { paths: string[] }).paths;

  it('leaves out editor backups and probes that still exist when the saved file is there too', async () => {
    const feed = await fedByHand();
    writeFileSync(live.file('style.css~'), 'backup');
    writeFileSync(live.file('4913'), '');
    for (const name of ['4913', 'style.css~', 'style.css']) feed.change(name);
    await window(feed.messages);
    expect(named(feed.messages[1])).toEqual(['/style.css']);
    feed.close();
  });

  it('holds a window in which only a temp file changed, for the rename that follows', async () => {
    const feed = await fedByHand();
    // A save whose steps fall into two windows: the temp file written (and already renamed away)...
    feed.change('style.css.5eed0001');
    await window(feed.messages);
    expect(feed.messages).toHaveLength(1);
    // ...then the rename over the stylesheet: one event, naming the stylesheet only.
    feed.change('style.css');
    await window(feed.messages);
    expect(feed.messages.slice(1).map(named)).toEqual([['/style.css']]);
    feed.close();
  });

  it('names a deleted file after the held window, when nothing else came', async () => {
    const feed = await fedByHand();
    rmSync(live.file('hello.txt'));
    feed.change('hello.txt');
    await window(feed.messages);
    await window(feed.messages);
    expect(feed.messages.slice(1).map(named)).toEqual([['/hello.txt']]);
    feed.close();
  });
});

describe('the served directory removed and created again', () => {
  const live = useLiveSite();

  /** A build that wipes its output and writes it again: `rm -rf dist && vite build`. */
  function rebuild(root: string, marker: string): void {
    rmSync(root, { recursive: true, force: true });
    mkdirSync(join(root, 'nested'), { recursive: true });
    writeFileSync(join(root, 'index.html'), `<body>${marker}</body>`);
    writeFileSync(join(root, 'nested', 'page.html'), `<body>nested ${marker}</body>`);
  }

  it.each([
    ['with the file cache', {}],
    ['without the file cache', { fileCache: false }],
  ])('serves the new files on the next request, %s', async (_name, options) => {
    const server = await live.serve({ watch: false, ...options });
    expect((await rawRequest(server.port, '/')).status).toBe(200);
    expect((await rawRequest(server.port, '/nested/page.html')).status).toBe(200);
    expect((await rawRequest(server.port, '/hello.txt')).status).toBe(200);

    rmSync(live.root(), { recursive: true, force: true });
    expect((await rawRequest(server.port, '/')).status).toBe(404);
    expect((await rawRequest(server.port, '/nested/page.html')).status).toBe(404);
    rebuild(live.root(), 'rebuilt');

    const index = await rawRequest(server.port, '/');
    expect(index.status).toBe(200);
    expect(index.body.toString()).toContain('rebuilt');
    expect((await rawRequest(server.port, '/nested/page.html')).body.toString()).toContain('nested rebuilt');
    expect((await rawRequest(server.port, '/hello.txt')).status).toBe(404);
    // And it is watched again: the next edit shows too.
    writeFileSync(live.file('index.html'), '<body>edited after</body>');
    expect((await rawRequest(server.port, '/')).body.toString()).toContain('edited after');
  });

  /** Waits until no change event has arrived for a while; returns how many there are. */
  async function quiet(stream: EventStream): Promise<number> {
    for (let seen = -1; seen !== stream.changes.length; ) {
      seen = stream.changes.length;
      await delay(SETTLE_MS);
    }
    return stream.changes.length;
  }

  it('keeps live reload going: an event once it is back, and for every edit after', async () => {
    const server = await live.serve();
    const stream = await live.stream(server.port);
    rmSync(live.root(), { recursive: true, force: true });
    await stream.waitForChanges(1);
    const removed = await quiet(stream);
    rebuild(live.root(), 'rebuilt');
    const back = await stream.waitForChanges(removed + 1);
    expect(back[removed]).toContain('/index.html');

    const before = await quiet(stream);
    writeFileSync(live.file('nested/page.html'), '<body>edited</body>');
    const changes = await stream.waitForChanges(before + 1);
    expect(changes[changes.length - 1]).toEqual(['/nested/page.html']);
    expect((await rawRequest(server.port, '/nested/page.html')).body.toString()).toContain('edited');
  });

  it('sees a subdirectory replaced by another renamed into its place', async () => {
    const server = await live.serve();
    const stream = await live.stream(server.port);
    expect((await rawRequest(server.port, '/nested/page.html')).body.toString()).not.toContain('replacement');
    mkdirSync(live.file('nested-new/deeper'), { recursive: true });
    writeFileSync(live.file('nested-new/page.html'), '<body>replacement</body>');
    writeFileSync(live.file('nested-new/deeper/file.txt'), 'replacement\n');
    await stream.waitForChanges(1);
    await quiet(stream);
    renameSync(live.file('nested'), live.file('nested-old'));
    renameSync(live.file('nested-new'), live.file('nested'));
    expect((await rawRequest(server.port, '/nested/page.html')).body.toString()).toContain('replacement');

    await stream.waitForChanges(2);
    const before = await quiet(stream);
    writeFileSync(live.file('nested/page.html'), '<body>edited in the new one</body>');
    const changes = await stream.waitForChanges(before + 1);
    expect(changes[changes.length - 1]).toEqual(['/nested/page.html']);
    // A level deeper too: the watch on the old nested/deeper went with the old directory.
    const deeper = await quiet(stream);
    writeFileSync(live.file('nested/deeper/file.txt'), 'edited deeper\n');
    expect((await stream.waitForChanges(deeper + 1))[deeper]).toEqual(['/nested/deeper/file.txt']);
    expect((await rawRequest(server.port, '/nested/deeper/file.txt')).body.toString()).toBe('edited deeper\n');
  });
});

describe('cleanup', () => {
  const live = useLiveSite();

  it('a disconnected client leaves the live reload client set (createLiveReload.clients)', async () => {
    const watches = createWatches(live.root());
    const reload = createLiveReload(live.root(), watches);
    const server = createServer((req, res) => {
      if (!reload.handle(req, res, new URL(req.url ?? '/', 'http://x').pathname)) {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    const streams: EventStream[] = [];
    try {
      for (let i = 0; i < 50; i += 1) streams.push(await EventStream.open(port));
      expect(reload.clients).toBe(50);

      for (const stream of streams) stream.destroy();
      expect(await waitFor(() => reload.clients === 0, 2_000)).toBe(true);

      // A change with no client left broadcasts to nobody and breaks nothing.
      writeFileSync(live.file('hello.txt'), 'after\n');
      const late = await EventStream.open(port);
      streams.push(late);
      expect(reload.clients).toBe(1);
      writeFileSync(live.file('style.css'), 'body {}\n');
      const changes = await late.waitForChanges(1);
      expect(changes[changes.length - 1]).toContain('/style.css');
    } finally {
      for (const stream of streams) stream.destroy();
      reload.close();
      watches.close();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    }
    expect(reload.clients).toBe(0);
  });

  it('50 clients that disconnect release their sockets, and the server keeps working', async () => {
    const server = await live.serve();
    const connections = watchConnections(server.server);
    try {
      const streams: EventStream[] = [];
      for (let i = 0; i < 50; i += 1) streams.push(await EventStream.open(server.port));
      expect(await waitFor(() => connections.count === 50, 2_000)).toBe(true);

      for (const stream of streams) stream.destroy();
      expect(await waitFor(() => connections.count === 0, 2_000)).toBe(true);

      const stream = await live.stream(server.port);
      writeFileSync(live.file('hello.txt'), 'still works\n');
      expect(await stream.waitForChanges(1)).toEqual([['/hello.txt']]);
      expect((await rawRequest(server.port, '/index.html')).body.toString()).toContain(TAG);
    } finally {
      connections.stop();
    }
  });

  it("handler.close() ends open event streams cleanly and stops the watcher", async () => {
    // A bare server, so nothing but handler.close() can end the stream (TestServer.close also drops connections).
    const handler = createHandler({ root: live.root(), watch: true });
    const server = createServer(handler);
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    const streams: EventStream[] = [];
    try {
      streams.push(await EventStream.open(port), await EventStream.open(port));
      const started = Date.now();
      handler.close();
      await Promise.all(streams.map((stream) => stream.over));

      expect(Date.now() - started).toBeLessThan(1_000);
      expect(streams.every((stream) => stream.endedCleanly)).toBe(true);

      // The watcher is gone: a change reaches nobody, and nothing crashes.
      const after = await EventStream.open(port);
      streams.push(after);
      writeFileSync(live.file('hello.txt'), 'after close\n');
      mkdirSync(live.file('after/close'), { recursive: true });
      writeFileSync(live.file('after/close/file.txt'), 'x\n');
      await delay(QUIET_MS);
      expect(after.changes).toEqual([]);
      expect((await rawRequest(port, '/hello.txt')).body.toString()).toBe('after close\n');
    } finally {
      for (const stream of streams) stream.destroy();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    }
  });

  it('TestServer.close() with an open stream resolves promptly and the client sees the end', async () => {
    const server = await startServer({ root: live.root(), watch: true });
    let closing: Promise<void> | undefined;
    try {
      const stream = await EventStream.open(server.port);
      const started = Date.now();
      closing = server.close();
      await closing;
      await stream.over;

      expect(Date.now() - started).toBeLessThan(1_000);
      writeFileSync(live.file('hello.txt'), 'after close\n');
      await delay(100);
      expect(stream.changes).toEqual([]);
    } finally {
      await (closing ?? server.close());
    }
  });

  it('the root removed while watching does not crash the server', async () => {
    const server = await live.serve();
    const stream = await live.stream(server.port);
    rmSync(live.root(), { recursive: true, force: true });
    await delay(200);

    expect((await rawRequest(server.port, '/index.html')).status).toBe(404);
    expect(stream.res.destroyed).toBe(false);
  });
});

describe('CLI', () => {
  const live = useLiveSite();

  beforeAll(() => {
    // The CLI tests run the built bundle; fail with a clear message if it has not been built.
    expect(() => statSync(CLI)).not.toThrow();
  });
  afterEach(async () => {
    await stopAll();
  });

  it.each([['--watch'], ['--live']])('%s turns live reload on and says so in the banner', async (flag) => {
    const cli = startCli([live.root(), flag, '-p', '0', '-H', '127.0.0.1']);
    const port = await cli.port();

    expect(cli.stdout).toContain('live reload on');
    const page = await httpGet('127.0.0.1', port, '/index.html');
    expect(page.body.toString()).toContain(TAG);
    const script = await httpGet('127.0.0.1', port, CLIENT_PATH);
    expect(script.status).toBe(200);

    const stream = await live.stream(port);
    writeFileSync(live.file('hello.txt'), 'cli\n');
    expect(await stream.waitForChanges(1)).toEqual([['/hello.txt']]);
  });

  it('without the flag the banner does not mention live reload and HTML is untouched', async () => {
    const cli = startCli([live.root(), '-p', '0', '-H', '127.0.0.1']);
    const port = await cli.port();

    expect(cli.stdout).not.toContain('live reload');
    const page = await httpGet('127.0.0.1', port, '/index.html');
    expect(page.body.equals(readFileSync(live.file('index.html')))).toBe(true);
    expect((await httpGet('127.0.0.1', port, EVENTS_PATH)).status).toBe(404);
  });

  it.each([['SIGTERM'], ['SIGINT']] as const)('%s with an open event stream exits 0 well within the grace period', async (signal) => {
    const cli = startCli([live.root(), '--watch', '-p', '0', '-H', '127.0.0.1']);
    const port = await cli.port();
    const stream = await live.stream(port);

    const started = Date.now();
    cli.child.kill(signal);
    const exit = await cli.waitForExit(5_000);

    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(2_000);
    await stream.over;
    expect(stream.endedCleanly).toBe(true);
  });

  it('--watch-ignore adds ignored globs (repeatable)', async () => {
    const cli = startCli([live.root(), '--watch', '--watch-ignore', '**/*.tmp', '--watch-ignore', '/drafts/**', '-p', '0', '-H', '127.0.0.1']);
    const port = await cli.port();
    const stream = await live.stream(port);
    writeFileSync(live.file('x.tmp'), 'scratch\n');
    mkdirSync(live.file('drafts'));
    writeFileSync(live.file('drafts/post.html'), '<body>draft</body>\n');

    await delay(QUIET_MS);
    expect(stream.changes).toEqual([]);

    writeFileSync(live.file('hello.txt'), 'real\n');
    await stream.waitForChanges(1);
    await delay(SETTLE_MS);
    expect(stream.changes).toEqual([['/hello.txt']]);
  });

  it('the config file keys watch and watchIgnore work like the flags', async () => {
    writeFileSync(live.file('tiny-serve.json'), JSON.stringify({ watch: true, watchIgnore: ['**/*.tmp'] }));
    const cli = startCli([live.root(), '-p', '0', '-H', '127.0.0.1']);
    const port = await cli.port();
    expect(cli.stdout).toContain('live reload on');

    const stream = await live.stream(port);
    writeFileSync(live.file('x.tmp'), 'scratch\n');
    await delay(QUIET_MS);
    expect(stream.changes).toEqual([]);

    writeFileSync(live.file('hello.txt'), 'real\n');
    expect(await stream.waitForChanges(1)).toEqual([['/hello.txt']]);
  });

  it('--no-watch overrides watch: true from the config file', async () => {
    writeFileSync(live.file('tiny-serve.json'), JSON.stringify({ watch: true }));
    const cli = startCli([live.root(), '--no-watch', '-p', '0', '-H', '127.0.0.1']);
    const port = await cli.port();

    expect(cli.stdout).not.toContain('live reload');
    expect((await httpGet('127.0.0.1', port, '/index.html')).body.toString()).not.toContain(TAG);
  });

  it.each([
    ['a bad --watch-ignore glob', (): string[] => ['--watch', '--watch-ignore', 'a**b']],
    ['a non-boolean watch in the config file', (): string[] => ['--config', live.file('bad.json')]],
  ])('%s is a one-line error, exit 1', async (_name, args) => {
    writeFileSync(live.file('bad.json'), JSON.stringify({ watch: 'yes' }));
    const result = await runCli([live.root(), '-p', '0', '-H', '127.0.0.1', ...args()]);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^tiny-serve: .+\n$/);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});
