// `--ssl` with no files, through the built CLI: a client that trusts only the certificate it made verifies
// it for localhost and 127.0.0.1 over HTTP/1.1 and HTTP/2; it is kept (0700/0600) and reused across
// starts, replaced when expired, near its end or too narrow, kept in memory when the cache directory
// cannot be written, shared by workers; and the rules that choose the cache directory and its names.
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect as h2Connect, type ClientHttp2Session } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { hostname, networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { generateCertificate } from '../src/server/cert-generator.js';
import { CERT_FILE, KEY_FILE, RENEW_DAYS, cacheDirectory } from '../src/server/self-signed.js';
import { certificateNames } from '../src/cli/ssl.js';
import { SITE } from './helpers.js';
import { linesOf, runCli, startCli, stopAll, type CliProcess } from './cli-helpers.js';

const HOST = '127.0.0.1';
const DAY_MS = 24 * 60 * 60 * 1000;
const STACK_LINE = /^\s+at /m;

/** Cleanups registered by each test, run after it even when it fails. */
const cleanups: (() => void)[] = [];
afterEach(async () => {
  await stopAll();
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** A fresh XDG_CACHE_HOME, removed after the test; the certificate lives in its tiny-serve/. */
function cacheHome(): { home: string; dir: string; cert: string; key: string } {
  const home = mkdtempSync(join(tmpdir(), 'tiny-serve-ssl-'));
  cleanups.push(() => rmSync(home, { recursive: true, force: true }));
  const dir = join(home, 'tiny-serve');
  return { home, dir, cert: join(dir, CERT_FILE), key: join(dir, KEY_FILE) };
}

/** The CLI with --ssl (and `args`) on an ephemeral loopback port, its certificate cached under `home`. */
async function startSsl(home: string, args: string[] = []): Promise<{ cli: CliProcess; port: number; fingerprint: string }> {
  const cli = startCli([SITE, '--ssl', '-p', '0', '-H', HOST, ...args], { env: { XDG_CACHE_HOME: home } });
  const port = await cli.port(15_000);
  return { cli, port, fingerprint: /^ {2}SHA-256: {2}([0-9A-F:]{95})$/m.exec(cli.stdout)?.[1] ?? 'none in the banner' };
}

const pemOf = (certificate: PeerCertificate): string => new X509Certificate(certificate.raw).toString();

/**
 * A GET over HTTP/1.1 on TLS trusting only `ca`, checked for `servername` (the address itself when
 * undefined, as a browser does for https://127.0.0.1/). Resolves with the body and the server's certificate.
 */
function h1Get(port: number, ca: string | undefined, servername?: string): Promise<{ body: string; httpVersion: string; peer: PeerCertificate }> {
  return new Promise((done, fail) => {
    const options = { host: HOST, port, path: '/hello.txt', ca, servername, agent: false as const, ALPNProtocols: ['http/1.1'], rejectUnauthorized: ca !== undefined };
    const req = httpsRequest(options, (res) => {
      const peer = (res.socket as TLSSocket).getPeerCertificate();
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => done({ body, httpVersion: res.httpVersion, peer }));
    });
    req.once('error', fail);
    req.end();
  });
}

/** A GET over HTTP/2 trusting only `ca`, checked for `servername` (the address when undefined). */
function h2Get(port: number, ca: string, servername?: string): Promise<{ body: string; alpn: string | undefined }> {
  return new Promise((done, fail) => {
    const session: ClientHttp2Session = h2Connect(`https://${HOST}:${port}`, { ca, servername });
    session.once('error', fail);
    const stream = session.request({ ':path': '/hello.txt' });
    let body = '';
    stream.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    stream.once('error', fail);
    stream.on('end', () => {
      const alpn = session.alpnProtocol;
      session.close();
      done({ body, alpn });
    });
  });
}

/** Writes a certificate and key into the cache as if an earlier start had kept them. */
async function keepCertificate(dir: string, names: string[], notBefore: Date, notAfter: Date): Promise<string> {
  const made = await generateCertificate({ names, notBefore, notAfter });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, CERT_FILE), made.cert);
  writeFileSync(join(dir, KEY_FILE), made.key, { mode: 0o600 });
  return new X509Certificate(made.cert).fingerprint256;
}

/** The first external IPv4 address of this machine (what a bare --host shows under Network:), if any. */
function lanAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((info) => info !== undefined && !info.internal && info.family === 'IPv4')?.address;
}

describe('--ssl', () => {
  it('makes a certificate that a client trusting only it verifies for localhost and 127.0.0.1, over HTTP/1.1 and HTTP/2', async () => {
    const cache = cacheHome();
    const { cli, port, fingerprint } = await startSsl(cache.home);
    const ca = readFileSync(cache.cert, 'utf8');

    expect(cli.stdout).toContain(`  Local:    https://${HOST}:${port}/\n`);
    expect(cli.stdout).toMatch(new RegExp(`^ {2}Cert: {5}self-signed, new, valid until \\d{4}-\\d\\d-\\d\\d: ${cache.cert}$`, 'm'));
    expect(fingerprint).toBe(new X509Certificate(ca).fingerprint256);
    for (const servername of ['localhost', undefined]) {
      const h1 = await h1Get(port, ca, servername);
      expect([h1.httpVersion, h1.body]).toEqual(['1.1', 'hello, world\n']);
      const h2 = await h2Get(port, ca, servername);
      expect([h2.alpn, h2.body]).toEqual(['h2', 'hello, world\n']);
    }
    // A name the certificate does not carry is refused: the check above is a real one.
    await expect(h1Get(port, ca, 'example.com')).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    expect(cli.stderr).toBe('');
  });

  it('is an ECDSA P-256 certificate for localhost, 127.0.0.1, ::1 and the machine, valid for a year', async () => {
    const cache = cacheHome();
    await startSsl(cache.home);
    const certificate = new X509Certificate(readFileSync(cache.cert));

    expect(certificate.publicKey.asymmetricKeyDetails).toEqual({ namedCurve: 'prime256v1' });
    expect(certificate.checkHost('localhost')).toBe('localhost');
    expect(certificate.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(certificate.checkIP('::1')).toBe('::1');
    expect(certificateNames([], hostname()).every((name) => (name.includes(':') || /^\d/.test(name) ? certificate.checkIP(name) : certificate.checkHost(name)))).toBe(true);
    expect(certificate.ca).toBe(false);
    const days = (new Date(certificate.validTo).getTime() - Date.now()) / DAY_MS;
    expect(days).toBeGreaterThan(360);
    expect(days).toBeLessThan(366);
  });

  it('keeps the key readable by the user only (0600) in a directory of theirs alone (0700)', async () => {
    const cache = cacheHome();
    await startSsl(cache.home);

    expect(statSync(cache.dir).mode & 0o777).toBe(0o700);
    expect(statSync(cache.key).mode & 0o777).toBe(0o600);
  });

  it('reuses the kept certificate on the next start: same file, same fingerprint', async () => {
    const cache = cacheHome();
    const first = await startSsl(cache.home);
    await first.cli.stop();
    const kept = readFileSync(cache.cert, 'utf8');
    const second = await startSsl(cache.home);

    expect(second.fingerprint).toBe(first.fingerprint);
    expect(second.cli.stdout).toMatch(new RegExp(`^ {2}Cert: {5}self-signed, reused, valid until \\d{4}-\\d\\d-\\d\\d: ${cache.cert}$`, 'm'));
    expect(readFileSync(cache.cert, 'utf8')).toBe(kept);
    expect((await h2Get(second.port, kept, 'localhost')).body).toBe('hello, world\n');
  });

  it.each([
    ['expired', -400, -10],
    [`within ${RENEW_DAYS} days of its end`, -300, RENEW_DAYS - 5],
  ])('replaces a kept certificate that is %s', async (_name, fromDays, toDays) => {
    const cache = cacheHome();
    const old = await keepCertificate(cache.dir, certificateNames([]), new Date(Date.now() + fromDays * DAY_MS), new Date(Date.now() + toDays * DAY_MS));
    const { cli, port, fingerprint } = await startSsl(cache.home);

    expect(fingerprint).not.toBe(old);
    expect(cli.stdout).toContain('self-signed, new,');
    const ca = readFileSync(cache.cert, 'utf8');
    expect(new X509Certificate(ca).fingerprint256).toBe(fingerprint);
    expect((await h1Get(port, ca, 'localhost')).body).toBe('hello, world\n');
  });

  it('reuses a kept certificate that names everything served, and replaces one that does not', async () => {
    const cache = cacheHome();
    const now = Date.now();
    const covering = await keepCertificate(cache.dir, certificateNames([]), new Date(now - DAY_MS), new Date(now + 300 * DAY_MS));
    const reused = await startSsl(cache.home);
    expect(reused.fingerprint).toBe(covering);
    await reused.cli.stop();

    // Only localhost: the 127.0.0.1 the server is started on is not named.
    const narrow = await keepCertificate(cache.dir, ['localhost'], new Date(now - DAY_MS), new Date(now + 300 * DAY_MS));
    const { port, fingerprint } = await startSsl(cache.home);
    expect(fingerprint).not.toBe(narrow);
    expect((await h1Get(port, readFileSync(cache.cert, 'utf8'))).body).toBe('hello, world\n');
  });

  it.skipIf(lanAddress() === undefined)('replaces a certificate without the network addresses when started with --host, and names them', async () => {
    const cache = cacheHome();
    const first = await startSsl(cache.home);
    await first.cli.stop();
    const cli = startCli([SITE, '--ssl', '-p', '0', '--host'], { env: { XDG_CACHE_HOME: cache.home } });
    await cli.port(15_000);
    const fingerprint = /SHA-256: {2}(\S+)/.exec(cli.stdout)?.[1];

    expect(fingerprint).not.toBe(first.fingerprint);
    const certificate = new X509Certificate(readFileSync(cache.cert));
    expect(certificate.fingerprint256).toBe(fingerprint);
    expect(certificate.checkIP(lanAddress()!)).toBe(lanAddress());
    expect(cli.stdout).toContain(`Network:  https://${lanAddress()}:`);
  });

  it('with an unwritable cache directory, serves a certificate made in memory and says so in one line', async () => {
    const cache = cacheHome();
    const blocked = join(cache.home, 'not-a-directory');
    writeFileSync(blocked, ''); // even root cannot make a directory inside a file
    const cli = startCli([SITE, '--ssl', '-p', '0', '-H', HOST], { env: { XDG_CACHE_HOME: blocked } });
    const port = await cli.port(15_000);

    const notes = linesOf(cli.stdout).filter((line) => line.includes('in memory'));
    expect(notes).toEqual([`  Cert:     self-signed, in memory only (cannot write ${join(blocked, 'tiny-serve')}: a file is in the way): browsers will ask again after a restart`]);
    const fingerprint = /SHA-256: {2}(\S+)/.exec(cli.stdout)?.[1];
    const { peer } = await h1Get(port, undefined); // no trust yet: take the certificate the server shows
    expect(peer.fingerprint256).toBe(fingerprint);
    const ca = pemOf(peer);
    expect((await h1Get(port, ca, 'localhost')).body).toBe('hello, world\n');
    expect((await h2Get(port, ca)).body).toBe('hello, world\n');
    expect(cli.stderr).toBe('');
  });

  // (As root the mode does not stop a write; the test then still shows that a reuse writes nothing.)
  it('reuses a valid certificate from a cache directory it cannot write to', async () => {
    const cache = cacheHome();
    const first = await startSsl(cache.home);
    await first.cli.stop();
    chmodSync(cache.dir, 0o500);
    cleanups.push(() => chmodSync(cache.dir, 0o700));
    const second = await startSsl(cache.home);

    expect(second.fingerprint).toBe(first.fingerprint);
    expect(second.cli.stdout).not.toContain('in memory');
  });

  it('--workers: the primary makes the certificate once and every worker serves it', async () => {
    const cache = cacheHome();
    const blocked = join(cache.home, 'file');
    writeFileSync(blocked, ''); // in memory: a worker could not read it from the cache either
    const cli = startCli([SITE, '--ssl', '--workers', '2', '-p', '0', '-H', HOST], { env: { XDG_CACHE_HOME: blocked } });
    const port = await cli.port(20_000);
    const fingerprint = /SHA-256: {2}(\S+)/.exec(cli.stdout)?.[1];

    // A connection each: the primary hands connections to the workers in turn.
    const seen = new Set<string>();
    for (let connection = 0; connection < 6; connection += 1) seen.add((await h1Get(port, undefined)).peer.fingerprint256);
    expect([...seen]).toEqual([fingerprint]);
    expect(linesOf(cli.stdout).filter((line) => line.includes('Cert:'))).toHaveLength(1);
  });

  it('reads "ssl": true from a config file', async () => {
    const cache = cacheHome();
    const config = join(cache.home, 'tiny-serve.json');
    writeFileSync(config, JSON.stringify({ ssl: true }));
    const cli = startCli([SITE, '--config', config, '-p', '0', '-H', HOST], { env: { XDG_CACHE_HOME: cache.home } });
    const port = await cli.port(15_000);

    expect((await h1Get(port, readFileSync(cache.cert, 'utf8'), 'localhost')).body).toBe('hello, world\n');
  });

  it.each([
    [['--ssl-cert', 'cert.pem'], '--ssl makes its own certificate: leave out --ssl-cert, or --ssl'],
    [['--ssl-key', 'key.pem'], '--ssl makes its own certificate: leave out --ssl-key, or --ssl'],
    [['--ssl-pass', 'pass.txt'], '--ssl makes its own certificate: leave out --ssl-pass, or --ssl'],
  ])('--ssl beside %j: exits 1 with one line', async (args, message) => {
    const cache = cacheHome();
    const result = await runCli([SITE, '--ssl', '-p', '0', '-H', HOST, ...args], { env: { XDG_CACHE_HOME: cache.home } });

    expect(result.code).toBe(1);
    expect(linesOf(result.stderr)).toEqual([`tiny-serve: ${message}`]);
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.stdout).toBe('');
  });
});

describe('the cache directory', () => {
  it.each<[string, NodeJS.ProcessEnv, NodeJS.Platform, string | undefined]>([
    ['$XDG_CACHE_HOME on Linux', { XDG_CACHE_HOME: '/x/cache' }, 'linux', '/x/cache/tiny-serve'],
    ['~/.cache without it', {}, 'linux', '/home/u/.cache/tiny-serve'],
    ['~/.cache when $XDG_CACHE_HOME is relative (the spec says to ignore it)', { XDG_CACHE_HOME: 'cache' }, 'linux', '/home/u/.cache/tiny-serve'],
    ['~/Library/Caches on macOS', {}, 'darwin', '/home/u/Library/Caches/tiny-serve'],
    ['$XDG_CACHE_HOME on macOS when set', { XDG_CACHE_HOME: '/x/cache' }, 'darwin', '/x/cache/tiny-serve'],
    ['%LOCALAPPDATA% on Windows', { LOCALAPPDATA: '/c/Users/u/AppData/Local', XDG_CACHE_HOME: '/x' }, 'win32', '/c/Users/u/AppData/Local/tiny-serve'],
  ])('%s', (_name, env, platform, expected) => {
    expect(cacheDirectory(env, platform, '/home/u')).toBe(expected);
  });

  it('is none without a home directory', () => {
    expect(cacheDirectory({}, 'linux', '')).toBeUndefined();
  });
});

describe('the names a certificate must carry', () => {
  it('are localhost, the loopback addresses and the machine, plus each address or name bound', () => {
    expect(
      certificateNames(
        [
          { kind: 'tcp', host: 'localhost', port: 0 },
          { kind: 'tcp', host: '192.168.1.5', port: 0 },
          { kind: 'tcp', host: 'fe80::1%eth0', port: 0 },
          { kind: 'tcp', host: 'Box.Local', port: 0 },
          { kind: 'unix', path: '/tmp/s.sock' },
        ],
        'My-Laptop',
      ),
    ).toEqual(['localhost', '127.0.0.1', '::1', 'my-laptop', '192.168.1.5', 'fe80::1', 'box.local']);
  });

  it('leave out a machine name a certificate cannot carry', () => {
    expect(certificateNames([], 'my_laptop')).toEqual(['localhost', '127.0.0.1', '::1']);
  });
});
