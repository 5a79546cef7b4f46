// Conditional requests: RFC 9110 §13.2.2 evaluation order, weak/strong comparison, the three HTTP-date
// forms, what a 304 carries, and preconditions ignored when the answer would not be 2xx (§13.2.1).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { parseHttpDate } from '../src/http/conditional.js';
import { rawRequest, startServer, type RawResponse, type TestServer } from './helpers.js';

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, width = 2, fill = '0'): string => String(n).padStart(width, fill);
const clock = (d: Date): string => `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;

/** The three HTTP-date forms of RFC 9110 §5.6.7, for a time in whole seconds. */
const imfFixdate = (seconds: number): string => new Date(seconds * 1000).toUTCString();
function rfc850(seconds: number): string {
  const d = new Date(seconds * 1000);
  const year = pad(d.getUTCFullYear() % 100);
  return `${WEEKDAYS[d.getUTCDay()]}, ${pad(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${year} ${clock(d)} GMT`;
}
function asctime(seconds: number): string {
  const d = new Date(seconds * 1000);
  const day = WEEKDAYS[d.getUTCDay()]!.slice(0, 3);
  return `${day} ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate(), 2, ' ')} ${clock(d)} ${d.getUTCFullYear()}`;
}

describe('parseHttpDate', () => {
  // Sun, 06 Nov 1994 08:49:37 GMT, the RFC's own example.
  const EXAMPLE = 784111777;

  it.each([
    ['IMF-fixdate', 'Sun, 06 Nov 1994 08:49:37 GMT', EXAMPLE],
    ['RFC 850', 'Sunday, 06-Nov-94 08:49:37 GMT', EXAMPLE],
    ['asctime', 'Sun Nov  6 08:49:37 1994', EXAMPLE],
    ['asctime, two-digit day', 'Sun Nov 16 08:49:37 1994', EXAMPLE + 10 * 86400],
    ['surrounding whitespace', '  Sun, 06 Nov 1994 08:49:37 GMT  ', EXAMPLE],
    ['the epoch', 'Thu, 01 Jan 1970 00:00:00 GMT', 0],
    ['29 Feb of a leap year', 'Thu, 29 Feb 2024 12:00:00 GMT', Date.UTC(2024, 1, 29, 12) / 1000],
    ['last second of a day', 'Wed, 31 Dec 2025 23:59:59 GMT', Date.UTC(2025, 11, 31, 23, 59, 59) / 1000],
    ['RFC 850, recent two-digit year', 'Wednesday, 25-Nov-26 14:00:00 GMT', Date.UTC(2026, 10, 25, 14) / 1000],
    // A four-digit year is taken as written: 0050 is not 1950 (Date.UTC maps years 0–99 to 19xx).
    ['IMF-fixdate with a year below 100', 'Mon, 01 Jan 0050 00:00:00 GMT', Date.parse('0050-01-01T00:00:00Z') / 1000],
  ])('%s: %j → %d', (_form, text, seconds) => {
    expect(parseHttpDate(text)).toBe(seconds);
  });

  it('the three forms of the same instant agree, for the current second too', () => {
    const now = Math.floor(Date.now() / 1000);
    expect(parseHttpDate(imfFixdate(now))).toBe(now);
    expect(parseHttpDate(rfc850(now))).toBe(now);
    expect(parseHttpDate(asctime(now))).toBe(now);
  });

  it.each([
    ['undefined', undefined],
    ['empty', ''],
    ['garbage', 'not a date'],
    ['a number', '784111777'],
    ['ISO 8601', '1994-11-06T08:49:37Z'],
    ['day 32', 'Mon, 32 Nov 2026 08:49:37 GMT'],
    ['31 November', 'Tue, 31 Nov 2026 08:49:37 GMT'],
    ['29 Feb of a common year', 'Sun, 29 Feb 2026 08:49:37 GMT'],
    ['hour 25', 'Sun, 06 Nov 1994 25:00:00 GMT'],
    ['hour 24', 'Sun, 06 Nov 1994 24:00:00 GMT'],
    ['minute 60', 'Sun, 06 Nov 1994 08:60:37 GMT'],
    ['second 61', 'Sun, 06 Nov 1994 08:49:61 GMT'],
    ['unknown month', 'Sun, 06 Foo 1994 08:49:37 GMT'],
    ['lower-case month', 'Sun, 06 nov 1994 08:49:37 GMT'],
    ['zone other than GMT', 'Sun, 06 Nov 1994 08:49:37 UTC'],
    ['numeric offset', 'Sun, 06 Nov 1994 08:49:37 +0000'],
    ['missing seconds', 'Sun, 06 Nov 1994 08:49 GMT'],
    ['single-digit day in IMF-fixdate', 'Sun, 6 Nov 1994 08:49:37 GMT'],
    ['RFC 850 with a short weekday', 'Sun, 06-Nov-94 08:49:37 GMT'],
    ['RFC 850, day 32', 'Sunday, 32-Nov-94 08:49:37 GMT'],
    ['asctime, hour 25', 'Sun Nov  6 25:49:37 1994'],
    ['asctime with GMT', 'Sun Nov  6 08:49:37 1994 GMT'],
    ['trailing garbage', 'Sun, 06 Nov 1994 08:49:37 GMT; length=12'],
  ])('%s → undefined', (_case, text) => {
    expect(parseHttpDate(text)).toBeUndefined();
  });
});

interface Validators {
  etag: string;
  /** Last-Modified in seconds since the epoch. */
  lm: number;
}

type Row = [description: string, status: 200 | 304 | 412, headers: (v: Validators) => Record<string, string>];

// Each row: request headers (built from the file's real ETag and Last-Modified) → expected status.
const ROWS: Row[] = [
  // If-None-Match: weak comparison, lists and `*` (§13.1.2).
  ['INM exact tag', 304, (v) => ({ 'If-None-Match': v.etag })],
  ['INM weak form of the tag', 304, (v) => ({ 'If-None-Match': `W/${v.etag}` })],
  ['INM list with the tag second', 304, (v) => ({ 'If-None-Match': `"x", ${v.etag}` })],
  ['INM list of weak tags', 304, (v) => ({ 'If-None-Match': `W/"x", W/${v.etag}` })],
  ['INM *', 304, () => ({ 'If-None-Match': '*' })],
  ['INM non-matching', 200, () => ({ 'If-None-Match': '"no-such-tag"' })],
  ['INM tag without its quotes', 200, (v) => ({ 'If-None-Match': v.etag.slice(1, -1) })],
  // If-Modified-Since (§13.1.3).
  ['IMS equal to Last-Modified', 304, (v) => ({ 'If-Modified-Since': imfFixdate(v.lm) })],
  ['IMS one second earlier', 200, (v) => ({ 'If-Modified-Since': imfFixdate(v.lm - 1) })],
  ['IMS one second later', 304, (v) => ({ 'If-Modified-Since': imfFixdate(v.lm + 1) })],
  ['IMS unparseable', 200, () => ({ 'If-Modified-Since': 'yesterday' })],
  ['IMS out-of-range day', 200, () => ({ 'If-Modified-Since': 'Mon, 32 Nov 2099 08:49:37 GMT' })],
  ['IMS in RFC 850 form', 304, (v) => ({ 'If-Modified-Since': rfc850(v.lm) })],
  ['IMS in RFC 850 form, one second earlier', 200, (v) => ({ 'If-Modified-Since': rfc850(v.lm - 1) })],
  ['IMS in asctime form', 304, (v) => ({ 'If-Modified-Since': asctime(v.lm) })],
  ['IMS in asctime form, one second earlier', 200, (v) => ({ 'If-Modified-Since': asctime(v.lm - 1) })],
  // If-None-Match present: If-Modified-Since is not evaluated (§13.2.2 step 4).
  [
    'INM non-matching + IMS that would match',
    200,
    (v) => ({ 'If-None-Match': '"no-such-tag"', 'If-Modified-Since': imfFixdate(v.lm) }),
  ],
  [
    'INM matching + IMS that would not match',
    304,
    (v) => ({ 'If-None-Match': v.etag, 'If-Modified-Since': imfFixdate(v.lm - 1) }),
  ],
  // If-Match: strong comparison (§13.1.1).
  ['IM exact tag', 200, (v) => ({ 'If-Match': v.etag })],
  ['IM list with the tag', 200, (v) => ({ 'If-Match': `"x", ${v.etag}` })],
  ['IM weak form of the tag', 412, (v) => ({ 'If-Match': `W/${v.etag}` })],
  ['IM non-matching', 412, () => ({ 'If-Match': '"no-such-tag"' })],
  ['IM *', 200, () => ({ 'If-Match': '*' })],
  // If-Unmodified-Since (§13.1.4), evaluated only without If-Match.
  ['IUS one second earlier', 412, (v) => ({ 'If-Unmodified-Since': imfFixdate(v.lm - 1) })],
  ['IUS equal to Last-Modified', 200, (v) => ({ 'If-Unmodified-Since': imfFixdate(v.lm) })],
  ['IUS one second later', 200, (v) => ({ 'If-Unmodified-Since': imfFixdate(v.lm + 1) })],
  ['IUS earlier, in asctime form', 412, (v) => ({ 'If-Unmodified-Since': asctime(v.lm - 1) })],
  ['IUS equal, in RFC 850 form', 200, (v) => ({ 'If-Unmodified-Since': rfc850(v.lm) })],
  ['IUS invalid date', 200, () => ({ 'If-Unmodified-Since': 'not a date' })],
  ['IUS out-of-range hour', 200, () => ({ 'If-Unmodified-Since': 'Sun, 06 Nov 1994 25:00:00 GMT' })],
  [
    'IUS earlier + IM matching',
    200,
    (v) => ({ 'If-Unmodified-Since': imfFixdate(v.lm - 1), 'If-Match': v.etag }),
  ],
  ['IUS equal + IM failing', 412, (v) => ({ 'If-Unmodified-Since': imfFixdate(v.lm), 'If-Match': '"x"' })],
  // Order: step 1/2 failures win over step 3/4 (§13.2.2).
  ['IM failing + INM matching', 412, (v) => ({ 'If-Match': '"no-such-tag"', 'If-None-Match': v.etag })],
  [
    'IUS failing + INM matching',
    412,
    (v) => ({ 'If-Unmodified-Since': imfFixdate(v.lm - 1), 'If-None-Match': v.etag }),
  ],
  [
    'IUS failing + IMS matching',
    412,
    (v) => ({ 'If-Unmodified-Since': imfFixdate(v.lm - 1), 'If-Modified-Since': imfFixdate(v.lm) }),
  ],
  ['IM matching + INM matching', 304, (v) => ({ 'If-Match': v.etag, 'If-None-Match': v.etag })],
  ['IM matching + INM non-matching', 200, (v) => ({ 'If-Match': v.etag, 'If-None-Match': '"x"' })],
  ['IM * + IMS matching', 304, (v) => ({ 'If-Match': '*', 'If-Modified-Since': imfFixdate(v.lm) })],
];

describe('conditional requests (RFC 9110 §13.2.2)', () => {
  let site: TestServer;
  let ok: RawResponse;
  let v: Validators;
  beforeAll(async () => {
    site = await startServer();
    ok = await rawRequest(site.port, '/hello.txt');
    expect(ok.status).toBe(200);
    v = { etag: ok.headers.etag!, lm: Date.parse(ok.headers['last-modified']!) / 1000 };
    expect(v.etag).toMatch(/^"[^"]+"$/);
    expect(Number.isInteger(v.lm)).toBe(true);
  });
  afterAll(async () => {
    await site.close();
  });

  describe.each(['GET', 'HEAD'])('%s', (method) => {
    it.each(ROWS)('%s → %d', async (_description, status, headers) => {
      const res = await rawRequest(site.port, '/hello.txt', { method, headers: headers(v) });
      expect(res.status).toBe(status);
      if (status === 200) {
        expect(res.headers.etag).toBe(v.etag);
        expect(res.body.toString()).toBe(method === 'GET' ? ok.body.toString() : '');
      } else {
        expect(res.body.toString()).not.toContain('hello, world');
      }
    });
  });

  it('the same table through supertest agrees for If-None-Match', async () => {
    const hit = await request(site.url).get('/hello.txt').set('If-None-Match', v.etag);
    expect(hit.status).toBe(304);
    const miss = await request(site.url).get('/hello.txt').set('If-None-Match', '"x"');
    expect(miss.status).toBe(200);
    expect(miss.text).toBe(ok.body.toString());
  });

  describe('a 304', () => {
    it.each([
      ['If-None-Match', () => ({ 'If-None-Match': v.etag })],
      ['If-Modified-Since', () => ({ 'If-Modified-Since': imfFixdate(v.lm) })],
    ])('after %s: no body, and the validators and caching headers of the 200', async (_name, headers) => {
      const res = await rawRequest(site.port, '/hello.txt', { headers: headers() });
      expect(res.status).toBe(304);
      expect(res.body.length).toBe(0);
      expect(res.headers.etag).toBe(ok.headers.etag);
      // With an ETag there, Last-Modified guides no cache update: not repeated (§15.4.5).
      expect(res.headers['last-modified']).toBeUndefined();
      expect(res.headers['cache-control']).toBe(ok.headers['cache-control']);
      expect(res.headers.date).toBeDefined();
      // Metadata a 304 may carry must describe the same representation as the 200 (§15.4.5, §8.6).
      if (res.headers['content-type'] !== undefined) {
        expect(res.headers['content-type']).toBe(ok.headers['content-type']);
      }
      if (res.headers['content-length'] !== undefined) {
        expect(res.headers['content-length']).toBe(ok.headers['content-length']);
      }
      expect(res.headers['transfer-encoding']).toBeUndefined();
    });
  });

  it('a 304 without ETags (etag: false) carries Last-Modified, the validator it has', async () => {
    const bare = await startServer({ etag: false });
    try {
      const res = await rawRequest(bare.port, '/hello.txt', { headers: { 'If-Modified-Since': imfFixdate(v.lm) } });
      expect(res.status).toBe(304);
      expect(res.headers.etag).toBeUndefined();
      expect(res.headers['last-modified']).toBe(ok.headers['last-modified']);
    } finally {
      await bare.close();
    }
  });

  describe('a 412', () => {
    it('is the built-in page, not the file', async () => {
      const res = await rawRequest(site.port, '/hello.txt', { headers: { 'If-Match': '"x"' } });
      expect(res.status).toBe(412);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['content-length']).toBe(String(res.body.length));
      expect(res.body.toString()).toContain('412');
      expect(res.headers.etag).toBeUndefined();
    });
  });

  describe('preconditions are ignored when the answer would not be 2xx (§13.2.1)', () => {
    it.each([
      ['/no-such-file.txt', { 'If-None-Match': '*' }, 404],
      ['/no-such-file.txt', { 'If-Match': '*' }, 404],
      ['/no-such-file.txt', { 'If-Match': '"x"' }, 404],
      ['/no-such-file.txt', { 'If-Unmodified-Since': 'Sun, 06 Nov 1994 08:49:37 GMT' }, 404],
      ['/no-such-file.txt', { 'If-Modified-Since': 'Sun, 06 Nov 2094 08:49:37 GMT' }, 404],
      ['/nested', { 'If-None-Match': '*' }, 301],
      ['/nested', { 'If-Match': '"x"' }, 301],
      ['/%E0%A4%A', { 'If-None-Match': '*' }, 400],
    ] as const)('%s with %j → %d', async (path, headers, status) => {
      const res = await rawRequest(site.port, path, { headers });
      expect(res.status).toBe(status);
    });

    it('a precondition on a non-GET method still answers 405', async () => {
      const res = await rawRequest(site.port, '/hello.txt', { method: 'PUT', headers: { 'If-Match': '*' } });
      expect(res.status).toBe(405);
    });
  });
});
