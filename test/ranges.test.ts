// Byte ranges: parseRange, single and multipart 206, 416, ignored Range headers, coalescing and the
// amplification guard, If-Range, HEAD parity, identity-only ranges, preconditions, and aborted ranges.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { parseRange, type RangeRequest } from '../src/http/range.js';
import { SITE, copySite, openDescriptorsOf, rawRequest, startServer, waitFor, type RawResponse, type TestServer } from './helpers.js';

const MiB = 1024 * 1024;

const HELLO = readFileSync(join(SITE, 'hello.txt'));
const LOREM = readFileSync(join(SITE, 'assets/lorem.txt'));
const EMPTY = readFileSync(join(SITE, 'empty.txt'));
const FILES: Record<string, Buffer> = { '/hello.txt': HELLO, '/assets/lorem.txt': LOREM, '/empty.txt': EMPTY };

/** Bytes `start..end` of `file`, inclusive like a range-spec. */
const bytes = (file: Buffer, start: number, end: number): Buffer => file.subarray(start, end + 1);
const hello = (start: number, end: number): Buffer => bytes(HELLO, start, end);
const lorem = (start: number, end: number): Buffer => bytes(LOREM, start, end);

/** Expected body of a 416: the built-in HTML page, never the file's bytes. */
const PAGE = 'built-in 416 page';

function get(server: TestServer, path: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return rawRequest(server.port, path, { headers });
}

function head(server: TestServer, path: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return rawRequest(server.port, path, { method: 'HEAD', headers });
}

function withoutDate(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const { date: _date, ...rest } = headers;
  return rest;
}

// A 416: `bytes */<size>`, and a small HTML page that is not the file.
function expectUnsatisfiable(res: RawResponse, size: number): void {
  expect(res.status).toBe(416);
  expect(res.headers['content-range']).toBe(`bytes */${size}`);
  expect(res.headers['content-type']).toMatch(/^text\/html/);
  expect(res.body.toString()).toContain('416');
  expect(res.body.length).toBeLessThan(512);
  expect(Number(res.headers['content-length'])).toBe(res.body.length);
}

/** A 200 carrying the whole file exactly once, with no Content-Range. */
function expectWhole(res: RawResponse, file: Buffer): void {
  expect(res.status).toBe(200);
  expect(res.headers['content-range']).toBeUndefined();
  expect(res.headers['content-encoding']).toBeUndefined();
  expect(res.headers['accept-ranges']).toBe('bytes');
  expect(Number(res.headers['content-length'])).toBe(file.length);
  expect(res.body.equals(file)).toBe(true);
}

/** A single-part 206 with `bytes start-end/size` and exactly those bytes. */
function expectSingle(res: RawResponse, file: Buffer, start: number, end: number): void {
  expect(res.status).toBe(206);
  expect(res.headers['content-type']).not.toMatch(/^multipart\//);
  expect(res.headers['content-range']).toBe(`bytes ${start}-${end}/${file.length}`);
  expect(Number(res.headers['content-length'])).toBe(end - start + 1);
  expect(res.body.equals(bytes(file, start, end))).toBe(true);
}

interface Part {
  headers: Map<string, string>;
  data: Buffer;
}

function boundaryOf(res: RawResponse): string {
  const match = /^multipart\/byteranges; ?boundary=("?)([^";]+)\1$/.exec(res.headers['content-type'] ?? '');
  expect(match, `multipart Content-Type, got ${res.headers['content-type']}`).not.toBeNull();
  return match![2]!;
}

/**
 * Parses a multipart/byteranges body (RFC 2046 §5.1.1) by splitting on `CRLF--boundary`: no
 * preamble here, each part is its header lines, an empty line and its bytes, and the body ends
 * with the close delimiter `--boundary--` and a CRLF.
 */
function parseMultipart(body: Buffer, boundary: string): Part[] {
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const positions: number[] = [];
  for (let at = body.indexOf(delimiter); at !== -1; at = body.indexOf(delimiter, at + delimiter.length)) {
    positions.push(at);
  }
  expect(positions[0], 'body starts with the first delimiter').toBe(0);
  const parts: Part[] = [];
  positions.forEach((position, index) => {
    const segment = body.subarray(position + delimiter.length, positions[index + 1] ?? body.length);
    if (index === positions.length - 1) {
      expect(segment.toString('latin1'), 'close delimiter').toBe('--\r\n');
      return;
    }
    expect(segment.subarray(0, 2).toString('latin1')).toBe('\r\n');
    const headerEnd = segment.indexOf('\r\n\r\n');
    expect(headerEnd).toBeGreaterThan(0);
    const headers = new Map<string, string>();
    for (const line of segment.subarray(2, headerEnd).toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':');
      expect(colon).toBeGreaterThan(0);
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    parts.push({ headers, data: segment.subarray(headerEnd + 4) });
  });
  return parts;
}

/** A multipart/byteranges 206 whose parts are exactly `ranges`, in order, of `file`. */
function expectMultipart(res: RawResponse, file: Buffer, contentType: string, ranges: Array<[number, number]>): Part[] {
  expect(res.status).toBe(206);
  expect(res.headers['content-range']).toBeUndefined();
  expect(Number(res.headers['content-length'])).toBe(res.body.length);
  const parts = parseMultipart(res.body, boundaryOf(res));
  expect(parts.map((part) => part.headers.get('content-range'))).toEqual(
    ranges.map(([start, end]) => `bytes ${start}-${end}/${file.length}`),
  );
  parts.forEach((part, index) => {
    const [start, end] = ranges[index]!;
    expect(part.headers.get('content-type')).toBe(contentType);
    expect(part.data.length).toBe(end - start + 1);
    expect(part.data.equals(bytes(file, start, end)), `part ${start}-${end}`).toBe(true);
  });
  return parts;
}


/** The README's limit against amplification: more than 32 ranges in one header are ignored. */
const MAX_RANGE_SPECS = 32;

describe('parseRange', () => {
  const whole: RangeRequest = { kind: 'whole' };
  const unsatisfiable: RangeRequest = { kind: 'unsatisfiable' };
  const partial = (...ranges: Array<[number, number]>): RangeRequest => ({
    kind: 'partial',
    ranges: ranges.map(([start, end]) => ({ start, end })),
  });
  const copies = (spec: string, count: number): string => `bytes=${Array(count).fill(spec).join(',')}`;
  const distinct = (count: number): string =>
    `bytes=${Array.from({ length: count }, (_, i) => `${i * 2}-${i * 2}`).join(',')}`;
  const distinctRanges = (count: number): Array<[number, number]> =>
    Array.from({ length: count }, (_, i): [number, number] => [i * 2, i * 2]);

  it.each<[string, string | undefined, number, RangeRequest]>([
    ['no header', undefined, 13, whole],
    ['first-last', 'bytes=0-4', 13, partial([0, 4])],
    ['open-ended', 'bytes=7-', 13, partial([7, 12])],
    ['suffix', 'bytes=-6', 13, partial([7, 12])],
    ['one byte', 'bytes=0-0', 13, partial([0, 0])],
    ['last past EOF is clamped', 'bytes=5-1000', 13, partial([5, 12])],
    ['suffix longer than the file', 'bytes=-1000', 13, partial([0, 12])],
    ['huge last-pos', 'bytes=2-99999999999999999999', 13, partial([2, 12])],
    ['first-pos at EOF', 'bytes=13-', 13, unsatisfiable],
    ['first-pos past EOF', 'bytes=100-200', 13, unsatisfiable],
    ['zero suffix', 'bytes=-0', 13, unsatisfiable],
    ['empty file, from 0', 'bytes=0-', 0, unsatisfiable],
    ['empty file, 0-0', 'bytes=0-0', 0, unsatisfiable],
    ['empty file, non-zero suffix: satisfiable, so the whole (empty) file', 'bytes=-5', 0, whole],
    ['empty file, zero suffix', 'bytes=-0', 0, unsatisfiable],
    ['one-byte file, 0-0', 'bytes=0-0', 1, partial([0, 0])],
    ['one-byte file, suffix', 'bytes=-1', 1, partial([0, 0])],
    ['reversed', 'bytes=5-2', 13, whole],
    ['not numbers', 'bytes=abc', 13, whole],
    ['empty set', 'bytes=', 13, whole],
    ['only commas', 'bytes=,,', 13, whole],
    ['two dashes', 'bytes=1-2-3', 13, whole],
    ['no equals sign', 'bytes 0-5', 13, whole],
    ['double dash', 'bytes=--1', 13, whole],
    ['hex', 'bytes=0x10-', 13, whole],
    ['plus sign', 'bytes=+1-2', 13, whole],
    ['fraction', 'bytes=1.5-2', 13, whole],
    ['lone dash', 'bytes=-', 13, whole],
    ['one invalid spec among valid ones', 'bytes=0-1,abc', 13, whole],
    ['other unit', 'items=0-5', 13, whole],
    ['no unit', 'none', 13, whole],
    ['unit is case-insensitive', 'BYTES=0-4', 13, partial([0, 4])],
    ['whitespace around commas, after = and around dashes', 'bytes= 0 - 4 , 6-7', 13, partial([0, 4], [6, 7])],
    ['empty list elements ignored', 'bytes=0-4,,', 13, partial([0, 4])],
    ['overlapping ranges coalesce', 'bytes=0-4,2-8', 13, partial([0, 8])],
    ['adjacent ranges coalesce', 'bytes=0-1,2-3', 13, partial([0, 3])],
    ['a one-byte gap keeps two ranges', 'bytes=0-1,3-4', 13, partial([0, 1], [3, 4])],
    ['sorted by start', 'bytes=8-9,0-1', 13, partial([0, 1], [8, 9])],
    ['contained range absorbed', 'bytes=0-12,3-4', 13, partial([0, 12])],
    ['suffix and prefix overlapping', 'bytes=-5,0-9', 13, partial([0, 12])],
    ['unsatisfiable spec dropped', 'bytes=0-1,100-200', 13, partial([0, 1])],
    ['all unsatisfiable', 'bytes=100-200,13-', 13, unsatisfiable],
    ['20 copies of 0-', copies('0-', 20), 13, partial([0, 12])],
    [`${MAX_RANGE_SPECS} copies of 0-0`, copies('0-0', MAX_RANGE_SPECS), 13, partial([0, 0])],
    [`${MAX_RANGE_SPECS + 1} copies of 0-0`, copies('0-0', MAX_RANGE_SPECS + 1), 13, whole],
    ['200 copies of 0-', copies('0-', 200), 13, whole],
    [`${MAX_RANGE_SPECS} distinct ranges`, distinct(MAX_RANGE_SPECS), 100, partial(...distinctRanges(MAX_RANGE_SPECS))],
    ['40 distinct ranges', distinct(40), 100, whole],
  ])('%s: %j on %i bytes', (_name, header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });
});

describe('GET with Range', () => {
  let server: TestServer;
  let helloType: string;
  let loremType: string;
  beforeAll(async () => {
    // The table below spells out sizes and bytes of these fixtures: a fixture edited fails here, once.
    expect([HELLO.toString(), LOREM.length, EMPTY.length]).toEqual(['hello, world\n', 19345, 0]);
    server = await startServer();
    helloType = (await get(server, '/hello.txt')).headers['content-type']!;
    loremType = (await get(server, '/assets/lorem.txt')).headers['content-type']!;
    expect(helloType).toMatch(/^text\/plain/);
    expect(loremType).toMatch(/^text\/plain/);
  });
  afterAll(async () => {
    await server.close();
  });

  type Row = [path: string, range: string, status: number, contentRange: string | null, body: Buffer | typeof PAGE];
  it.each<Row>([
    ['/hello.txt', 'bytes=0-4', 206, 'bytes 0-4/13', Buffer.from('hello')],
    ['/hello.txt', 'bytes=7-11', 206, 'bytes 7-11/13', Buffer.from('world')],
    ['/hello.txt', 'bytes=7-', 206, 'bytes 7-12/13', Buffer.from('world\n')],
    ['/hello.txt', 'bytes=-6', 206, 'bytes 7-12/13', Buffer.from('world\n')],
    ['/hello.txt', 'bytes=0-0', 206, 'bytes 0-0/13', Buffer.from('h')],
    ['/hello.txt', 'bytes=12-12', 206, 'bytes 12-12/13', Buffer.from('\n')],
    ['/hello.txt', 'bytes=12-', 206, 'bytes 12-12/13', Buffer.from('\n')],
    ['/hello.txt', 'bytes=-1', 206, 'bytes 12-12/13', Buffer.from('\n')],
    ['/hello.txt', 'bytes=5-100', 206, 'bytes 5-12/13', hello(5, 12)],
    ['/hello.txt', 'bytes=0-12', 206, 'bytes 0-12/13', HELLO],
    ['/hello.txt', 'bytes=0-', 206, 'bytes 0-12/13', HELLO],
    ['/hello.txt', 'bytes=-13', 206, 'bytes 0-12/13', HELLO],
    ['/hello.txt', 'bytes=-100', 206, 'bytes 0-12/13', HELLO],
    ['/hello.txt', 'bytes=0-99999999999999999999', 206, 'bytes 0-12/13', HELLO],
    ['/hello.txt', 'BYTES=0-4', 206, 'bytes 0-4/13', Buffer.from('hello')],
    ['/hello.txt', 'Bytes=7-11', 206, 'bytes 7-11/13', Buffer.from('world')],
    ['/hello.txt', 'bytes= 0 - 4', 206, 'bytes 0-4/13', Buffer.from('hello')],
    ['/hello.txt', 'bytes=0-4,', 206, 'bytes 0-4/13', Buffer.from('hello')],
    ['/hello.txt', 'bytes=0-4,2-8', 206, 'bytes 0-8/13', hello(0, 8)],
    ['/hello.txt', 'bytes=0-1,2-3', 206, 'bytes 0-3/13', hello(0, 3)],
    ['/hello.txt', 'bytes=2-3,0-1', 206, 'bytes 0-3/13', hello(0, 3)],
    ['/hello.txt', 'bytes=0-,3-5', 206, 'bytes 0-12/13', HELLO],
    ['/hello.txt', 'bytes=1-1, 1-1', 206, 'bytes 1-1/13', hello(1, 1)],
    ['/hello.txt', 'bytes=0-1,100-200', 206, 'bytes 0-1/13', hello(0, 1)],
    ['/hello.txt', 'bytes=0-1,-0', 206, 'bytes 0-1/13', hello(0, 1)],
    ['/hello.txt', 'bytes=13-', 416, null, PAGE],
    ['/hello.txt', 'bytes=13-20', 416, null, PAGE],
    ['/hello.txt', 'bytes=100-200', 416, null, PAGE],
    ['/hello.txt', 'bytes=-0', 416, null, PAGE],
    ['/hello.txt', 'bytes=100-200,13-,-0', 416, null, PAGE],
    ['/hello.txt', 'bytes=5-2', 200, null, HELLO],
    ['/hello.txt', 'bytes=abc', 200, null, HELLO],
    ['/hello.txt', 'bytes=', 200, null, HELLO],
    ['/hello.txt', 'bytes=1-2-3', 200, null, HELLO],
    ['/hello.txt', 'bytes 0-5', 200, null, HELLO],
    ['/hello.txt', 'bytes=--1', 200, null, HELLO],
    ['/hello.txt', 'bytes=0x10-', 200, null, HELLO],
    ['/hello.txt', 'bytes=-', 200, null, HELLO],
    ['/hello.txt', 'bytes=+1-2', 200, null, HELLO],
    ['/hello.txt', 'bytes=0-1,abc', 200, null, HELLO],
    ['/hello.txt', 'bytes=0-1,5-2', 200, null, HELLO],
    ['/hello.txt', 'items=0-5', 200, null, HELLO],
    ['/hello.txt', 'none', 200, null, HELLO],
    ['/assets/lorem.txt', 'bytes=1000-1999', 206, 'bytes 1000-1999/19345', lorem(1000, 1999)],
    ['/assets/lorem.txt', 'bytes=19344-', 206, 'bytes 19344-19344/19345', lorem(19344, 19344)],
    ['/assets/lorem.txt', 'bytes=-100', 206, 'bytes 19245-19344/19345', lorem(19245, 19344)],
    ['/assets/lorem.txt', 'bytes=19000-30000', 206, 'bytes 19000-19344/19345', lorem(19000, 19344)],
    ['/assets/lorem.txt', 'bytes=19345-', 416, null, PAGE],
    ['/assets/lorem.txt', 'bytes=abc', 200, null, LOREM],
    ['/empty.txt', 'bytes=0-', 416, null, PAGE],
    ['/empty.txt', 'bytes=0-0', 416, null, PAGE],
    ['/empty.txt', 'bytes=-5', 200, null, EMPTY],
    ['/empty.txt', 'bytes=0-1,-1', 200, null, EMPTY],
    ['/empty.txt', 'bytes=abc', 200, null, EMPTY],
  ])('GET %s, Range: %s → %i %s', async (path, range, status, contentRange, body) => {
    const file = FILES[path]!;
    const res = await get(server, path, { Range: range });
    expect(res.status).toBe(status);
    if (body === PAGE) {
      expectUnsatisfiable(res, file.length);
      expect(res.body.equals(file)).toBe(false);
      return;
    }
    expect(res.headers['content-range'] ?? null).toBe(contentRange === null ? null : contentRange);
    expect(Number(res.headers['content-length'])).toBe(body.length);
    expect(res.body.equals(body), `body ${JSON.stringify(res.body.toString('latin1').slice(0, 40))}`).toBe(true);
    if (status === 200) expectWhole(res, file);
    if (status === 206) {
      const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(contentRange!)!;
      expectSingle(res, file, Number(match[1]), Number(match[2]));
      expect(res.headers['content-type']).toBe(path === '/hello.txt' ? helloType : loremType);
    }
  });

  describe('several ranges', () => {
    it.each<[string, string, Array<[number, number]>]>([
      ['/hello.txt', 'bytes=0-4,7-11', [[0, 4], [7, 11]]],
      ['/hello.txt', 'bytes=8-9,0-1', [[0, 1], [8, 9]]],
      ['/hello.txt', 'bytes= 0 - 4 , 6-7', [[0, 4], [6, 7]]],
      ['/hello.txt', 'bytes=-5,0-1', [[0, 1], [8, 12]]],
      ['/hello.txt', 'bytes=0-1,3-4', [[0, 1], [3, 4]]],
      ['/hello.txt', 'bytes=10-,4-6,0-1,4-5', [[0, 1], [4, 6], [10, 12]]],
      ['/hello.txt', 'bytes=0-1,100-200,5-6', [[0, 1], [5, 6]]],
      ['/assets/lorem.txt', 'bytes=0-99,5000-5999,-10', [[0, 99], [5000, 5999], [19335, 19344]]],
    ])('GET %s, Range: %s → multipart/byteranges', async (path, range, ranges) => {
      const file = FILES[path]!;
      const res = await get(server, path, { Range: range });
      expectMultipart(res, file, path === '/hello.txt' ? helloType : loremType, ranges);
    });

    it('uses the same random boundary as the Content-Type announces, absent from the file', async () => {
      const res = await get(server, '/assets/lorem.txt', { Range: 'bytes=0-0,2-2' });
      const boundary = boundaryOf(res);
      expect(boundary.length).toBeGreaterThanOrEqual(16);
      expect(LOREM.includes(boundary)).toBe(false);
      expect(res.body.includes(`--${boundary}--\r\n`)).toBe(true);
    });
  });

  describe('amplification', () => {
    const distinct = (count: number, step: number): string =>
      `bytes=${Array.from({ length: count }, (_, i) => `${i * step}-${i * step + 1}`).join(',')}`;

    it('20 copies of 0- send the file once, as a single 206', async () => {
      const res = await get(server, '/assets/lorem.txt', { Range: `bytes=${Array(20).fill('0-').join(',')}` });
      expectSingle(res, LOREM, 0, LOREM.length - 1);
      expect(res.body.length).toBe(LOREM.length);
    });

    it('20 whole-file suffixes send the file once', async () => {
      const res = await get(server, '/hello.txt', { Range: `bytes=${Array(20).fill('-100').join(',')}` });
      expectSingle(res, HELLO, 0, 12);
    });

    it('200 copies of 0- are ignored: 200 with the file once', async () => {
      const res = await get(server, '/assets/lorem.txt', { Range: `bytes=${Array(200).fill('0-').join(',')}` });
      expectWhole(res, LOREM);
    });

    it(`${MAX_RANGE_SPECS} distinct small ranges are served as ${MAX_RANGE_SPECS} parts`, async () => {
      const res = await get(server, '/assets/lorem.txt', { Range: distinct(MAX_RANGE_SPECS, 100) });
      const ranges = Array.from({ length: MAX_RANGE_SPECS }, (_, i): [number, number] => [i * 100, i * 100 + 1]);
      expectMultipart(res, LOREM, loremType, ranges);
    });

    it(`${MAX_RANGE_SPECS} parts raise no process warning (nothing piles up per part on the file handle)`, async () => {
      const warnings: string[] = [];
      const onWarning = (warning: Error): void => {
        warnings.push(`${warning.name}: ${warning.message}`);
      };
      process.on('warning', onWarning);
      try {
        const res = await get(server, '/assets/lorem.txt', { Range: distinct(MAX_RANGE_SPECS, 100) });
        expect(res.status).toBe(206);
        // process warnings are emitted on a later tick
        await new Promise((done) => setTimeout(done, 50));
      } finally {
        process.off('warning', onWarning);
      }
      expect(warnings).toEqual([]);
    });

    it.each([MAX_RANGE_SPECS + 1, 40])('%i distinct small ranges are ignored: 200 with the file once', async (count) => {
      const res = await get(server, '/assets/lorem.txt', { Range: distinct(count, 100) });
      expectWhole(res, LOREM);
    });
  });
});

describe('If-Range', () => {
  let server: TestServer;
  let etag: string;
  let lastModified: string;
  beforeAll(async () => {
    server = await startServer();
    const res = await get(server, '/hello.txt');
    etag = res.headers.etag!;
    lastModified = res.headers['last-modified']!;
    expect(etag).toMatch(/^"[^"]+"$/);
    expect(Date.parse(lastModified)).not.toBeNaN();
  });
  afterAll(async () => {
    await server.close();
  });

  const shifted = (date: string, seconds: number): string => new Date(Date.parse(date) + seconds * 1000).toUTCString();

  it.each<[string, 206 | 200, () => string]>([
    ['the current strong ETag', 206, () => etag],
    ['a different ETag', 200, () => '"not-the-current-tag"'],
    ['the weak form of the current ETag', 200, () => `W/${etag}`],
    ['a date equal to Last-Modified', 206, () => lastModified],
    ['a date one second before Last-Modified', 200, () => shifted(lastModified, -1)],
    ['a date one second after Last-Modified', 200, () => shifted(lastModified, 1)],
    ['an unparseable value', 200, () => 'yesterday-ish'],
  ])('If-Range with %s → %i', async (_name, status, value) => {
    const res = await get(server, '/hello.txt', { Range: 'bytes=0-4', 'If-Range': value() });
    if (status === 206) expectSingle(res, HELLO, 0, 4);
    else expectWhole(res, HELLO);
  });

  it('a failed If-Range ignores an unsatisfiable Range too (200, not 416)', async () => {
    const res = await get(server, '/hello.txt', { Range: 'bytes=100-', 'If-Range': '"not-the-current-tag"' });
    expectWhole(res, HELLO);
  });

  it('a matching If-Range keeps an unsatisfiable Range a 416', async () => {
    const res = await get(server, '/hello.txt', { Range: 'bytes=100-', 'If-Range': etag });
    expectUnsatisfiable(res, HELLO.length);
  });

  it('a matching If-Range keeps several ranges multipart', async () => {
    const res = await get(server, '/hello.txt', { Range: 'bytes=0-1,8-9', 'If-Range': etag });
    const type = (await get(server, '/hello.txt')).headers['content-type']!;
    expectMultipart(res, HELLO, type, [[0, 1], [8, 9]]);
  });

  it('with ETags turned off, an entity-tag never matches and a date still does', async () => {
    const noEtag = await startServer({ etag: false });
    try {
      const plain = await get(noEtag, '/hello.txt');
      expect(plain.headers.etag).toBeUndefined();
      expectWhole(await get(noEtag, '/hello.txt', { Range: 'bytes=0-4', 'If-Range': etag }), HELLO);
      const byDate = await get(noEtag, '/hello.txt', { Range: 'bytes=0-4', 'If-Range': plain.headers['last-modified']! });
      expectSingle(byDate, HELLO, 0, 4);
    } finally {
      await noEtag.close();
    }
  });
});

describe('HEAD with Range answers what GET would', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it.each<[string, string, string, number]>([
    ['206 single', '/hello.txt', 'bytes=0-4', 206],
    ['206 single, suffix', '/assets/lorem.txt', 'bytes=-100', 206],
    ['206 multipart', '/hello.txt', 'bytes=0-1,8-9', 206],
    ['206 multipart, three parts', '/assets/lorem.txt', 'bytes=0-99,5000-5999,-10', 206],
    ['416', '/hello.txt', 'bytes=100-', 416],
    ['416 on the empty file', '/empty.txt', 'bytes=0-', 416],
    ['200 for an invalid Range', '/hello.txt', 'bytes=5-2', 200],
  ])('%s: HEAD %s, Range: %s', async (_name, path, range, status) => {
    const getRes = await get(server, path, { Range: range });
    const headRes = await head(server, path, { Range: range });
    expect(getRes.status).toBe(status);
    expect(headRes.status).toBe(status);
    expect(withoutDate(headRes.headers)).toEqual(withoutDate(getRes.headers));
    expect(Number(headRes.headers['content-length'])).toBe(getRes.body.length);
    expect(headRes.body.length).toBe(0);
  });
});

describe('ranges apply to the identity representation', () => {
  let server: TestServer;
  let identity: RawResponse;
  beforeAll(async () => {
    server = await startServer();
    identity = await get(server, '/assets/lorem.txt');
  });
  afterAll(async () => {
    await server.close();
  });

  it('the same request without Range is compressed (so the Range test below means something)', async () => {
    const res = await get(server, '/assets/lorem.txt', { 'Accept-Encoding': 'gzip, br' });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toMatch(/^(br|gzip)$/);
  });

  it('a ranged GET accepting gzip and br gets identity bytes with the 200’s validators and caching headers', async () => {
    const res = await get(server, '/assets/lorem.txt', { Range: 'bytes=1000-1999', 'Accept-Encoding': 'gzip, br' });
    expectSingle(res, LOREM, 1000, 1999);
    expect(res.headers['content-encoding']).toBeUndefined();
    for (const name of ['etag', 'last-modified', 'cache-control', 'vary', 'accept-ranges', 'content-type']) {
      expect(res.headers[name], name).toBeDefined();
      expect(res.headers[name], name).toBe(identity.headers[name]);
    }
    expect(res.headers.vary).toMatch(/accept-encoding/i);
    expect(res.headers['accept-ranges']).toBe('bytes');
  });

  it('a multipart GET accepting gzip and br gets identity parts', async () => {
    const res = await get(server, '/assets/lorem.txt', { Range: 'bytes=0-9,19000-', 'Accept-Encoding': 'gzip, br' });
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers.vary).toMatch(/accept-encoding/i);
    expect(res.headers.etag).toBe(identity.headers.etag);
    expectMultipart(res, LOREM, identity.headers['content-type']!, [[0, 9], [19000, 19344]]);
  });

  it('a file with precompressed siblings is ranged over its own bytes, not a sibling’s', async () => {
    const css = readFileSync(join(SITE, 'assets/pre.css'));
    const res = await get(server, '/assets/pre.css', { Range: 'bytes=100-199', 'Accept-Encoding': 'br, gzip' });
    expectSingle(res, css, 100, 199);
    expect(res.headers['content-encoding']).toBeUndefined();
  });
});

describe('preconditions come before Range', () => {
  let server: TestServer;
  let etag: string;
  beforeAll(async () => {
    server = await startServer();
    etag = (await get(server, '/hello.txt')).headers.etag!;
    expect(etag).toBeTruthy();
  });
  afterAll(async () => {
    await server.close();
  });

  it.each<[string, number, Record<string, string>]>([
    ['If-None-Match: current ETag', 304, { 'If-None-Match': '<etag>' }],
    ['If-Match: "nope"', 412, { 'If-Match': '"nope"' }],
    ['If-Match: current ETag', 206, { 'If-Match': '<etag>' }],
  ])('%s with Range: bytes=0-4 → %i', async (_name, status, conditional) => {
    const headers: Record<string, string> = { Range: 'bytes=0-4' };
    for (const [name, value] of Object.entries(conditional)) headers[name] = value.replace('<etag>', etag);
    const res = await get(server, '/hello.txt', headers);
    expect(res.status).toBe(status);
    if (status === 206) expectSingle(res, HELLO, 0, 4);
    else {
      expect(res.headers['content-range']).toBeUndefined();
      expect(res.body.includes(HELLO)).toBe(false);
    }
    if (status === 304) expect(res.body.length).toBe(0);
  });

  it('If-None-Match with the current ETag wins over an unsatisfiable Range (304, not 416)', async () => {
    const res = await get(server, '/hello.txt', { Range: 'bytes=100-', 'If-None-Match': etag });
    expect(res.status).toBe(304);
    expect(res.headers['content-range']).toBeUndefined();
    expect(res.body.length).toBe(0);
  });

  it('If-Match "nope" wins over several ranges (412, not multipart)', async () => {
    const res = await get(server, '/hello.txt', { Range: 'bytes=0-1,8-9', 'If-Match': '"nope"' });
    expect(res.status).toBe(412);
    expect(res.headers['content-type']).not.toMatch(/multipart/);
  });
});

describe('large files', () => {
  let site: ReturnType<typeof copySite>;
  let server: TestServer;
  let big: string;
  let content: Buffer;
  beforeEach(async () => {
    site = copySite();
    content = randomBytes(16 * MiB);
    writeFileSync(join(site.root, 'big.bin'), content);
    big = realpathSync(join(site.root, 'big.bin'));
    server = await startServer({ root: site.root });
  });
  afterEach(async () => {
    await server.close();
    site.cleanup();
  });

  it('a multipart request for three far-apart ranges yields exactly those bytes', async () => {
    const res = await get(server, '/big.bin', { Range: 'bytes=0-99,8000000-8999999,16776000-' });
    const type = (await head(server, '/big.bin')).headers['content-type']!;
    expectMultipart(res, content, type, [
      [0, 99],
      [8000000, 8999999],
      [16776000, 16 * MiB - 1],
    ]);
  });

  it('a single large range yields exactly those bytes', async () => {
    const res = await get(server, '/big.bin', { Range: 'bytes=1000000-9999999' });
    expectSingle(res, content, 1000000, 9999999);
  });

  it.each([
    ['multipart', 'bytes=0-1000000,5000000-9000000'],
    ['single', 'bytes=1000-15000000'],
  ])('an aborted %s range request leaves no descriptor open', async (_kind, range) => {
    expect(openDescriptorsOf(big)).toBe(0);
    const started = await new Promise<{ status: number | undefined; opened: number }>((done, fail) => {
      const req = request(
        { host: '127.0.0.1', port: server.port, path: '/big.bin', headers: { Range: range }, agent: false },
        (res) => {
          res.once('data', () => {
            const opened = openDescriptorsOf(big);
            res.destroy();
            req.destroy();
            done({ status: res.statusCode, opened });
          });
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'ECONNRESET') fail(error);
      });
      req.end();
    });
    expect(started.status).toBe(206);
    expect(started.opened).toBeGreaterThan(0);
    expect(await waitFor(() => openDescriptorsOf(big) === 0, 3000)).toBe(true);
  });
});
