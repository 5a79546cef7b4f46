// Listen endpoints: parsing `--listen` URIs, serve({ listen }) on ports, [::1] and Unix sockets (stale
// and live socket files), the CLI's -l/--port/--host banner, workers and shutdown, and every bad-input line.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request, type IncomingMessage } from 'node:http';
import { connect, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeEndpoint, parseEndpoint, urlFor, type Endpoint } from '../src/server/endpoints.js';
import { UserError } from '../src/errors.js';
import { serve, type ServeHandle, type ServeOptions } from '../src/server/serve.js';
import { SITE, collect, copySite, type RawResponse } from './helpers.js';
import { freePort, httpGet, linesOf, localhostAddress, occupyPort, runCli, startCli, stopAll, type CliProcess } from './cli-helpers.js';

/** A stack trace line, which a one-line CLI error must never print. */
const STACK_LINE = /^\s+at /m;
const HELLO = 'hello, world\n';

/** Cleanups registered by each test, run after it (last first) even when it fails. */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await stopAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A private temporary directory (short enough for socket paths), removed after the test. */
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tiny-serve-listen-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts `serve` and closes it after the test (close() is safe to call twice). */
async function started(options: ServeOptions): Promise<ServeHandle> {
  const handle = await serve(options);
  cleanups.push(() => handle.close());
  return handle;
}

/** A GET of `path` (no keep-alive) from an endpoint URL as serve() names it: `http://host:port/` or `unix:/path`. */
function getFrom(endpoint: string, path: string): Promise<RawResponse> {
  return new Promise((done, fail) => {
    const onResponse = (res: IncomingMessage): void => void collect(res).then(done, fail);
    const req = endpoint.startsWith('unix:')
      ? request({ socketPath: endpoint.slice('unix:'.length), path, agent: false }, onResponse)
      : request(new URL(path, endpoint), { agent: false }, onResponse);
    req.on('error', fail);
    req.end();
  });
}

/** True when `port` on `host` can be bound right now (it was released). */
function bindable(host: string, port: number): Promise<boolean> {
  const probe = createNetServer();
  return new Promise((done) => {
    probe.once('error', () => done(false));
    probe.listen(port, host, () => probe.close(() => done(true)));
  });
}

/** Resolves with the error code of connecting to the socket file, or 'connected'. */
function connectOutcome(path: string): Promise<string> {
  return new Promise((done) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      done('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
  });
}

/** Leaves a socket file with nothing behind it, as a server killed with SIGKILL does. */
async function leaveStaleSocket(path: string): Promise<void> {
  const script = "require('node:net').createServer().listen(process.argv[1], () => console.log('ready'))";
  const child = spawn(process.execPath, ['-e', script, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  try {
    await new Promise<void>((done, fail) => {
      child.stdout.once('data', () => done());
      child.once('exit', (code) => fail(new Error(`the socket holder exited early (${code})`)));
    });
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

/** An HTTP server answering `live` on the socket file `path`, closed after the test. */
async function answerOn(path: string): Promise<void> {
  const server = createHttpServer((_req, res) => res.end('live'));
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(path, () => done());
  });
  cleanups.push(
    () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  );
}

/** The banner's endpoint lines (Local, Socket, Network), in order. */
function endpointLines(stdout: string): string[] {
  return linesOf(stdout).filter((line) => /^ {2}(Local|Socket|Network): /.test(line));
}

/** Waits for the whole banner (which may have no Local: line) and returns its endpoint lines. */
async function bannerOf(cli: CliProcess): Promise<string[]> {
  await cli.waitForOutput(/Press Ctrl\+C to stop/);
  return endpointLines(cli.stdout);
}

/** The port of the banner's `Local:` line for `host` (`[::1]` in brackets). */
function localPort(stdout: string, host: string): number {
  const match = new RegExp(`^ {2}Local: {4}http://${host.replace(/[[\].]/g, '\\$&')}:(\\d+)/$`, 'm').exec(stdout);
  expect(match, `a Local: line for ${host} in\n${stdout}`).not.toBeNull();
  return Number(match![1]);
}

/** A failed run: exit 1, exactly one `tiny-serve: ` line on stderr, no stack, no banner. Returns the line. */
function expectOneLine(result: Awaited<ReturnType<typeof runCli>>): string {
  expect(result.code, result.stderr).toBe(1);
  const lines = linesOf(result.stderr);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^tiny-serve: \S/);
  expect(result.stderr).not.toMatch(STACK_LINE);
  expect(result.stdout).not.toMatch(/Local:|Socket:/);
  return lines[0]!;
}

describe('parseEndpoint', () => {
  const DEFAULT_HOST = 'default.test';
  const DEFAULT_PORT = 4000;
  const tcp = (host: string, port: number): Endpoint => ({ kind: 'tcp', host, port });
  const unix = (path: string): Endpoint => ({ kind: 'unix', path });

  it.each<[string, Endpoint]>([
    ['3000', tcp(DEFAULT_HOST, 3000)],
    ['0', tcp(DEFAULT_HOST, 0)],
    ['65535', tcp(DEFAULT_HOST, 65535)],
    [' 8080 ', tcp(DEFAULT_HOST, 8080)],
    ['127.0.0.1:8080', tcp('127.0.0.1', 8080)],
    ['example.test:80', tcp('example.test', 80)],
    [':8080', tcp(DEFAULT_HOST, 8080)],
    ['[::1]:8080', tcp('::1', 8080)],
    ['tcp://127.0.0.1:8080', tcp('127.0.0.1', 8080)],
    ['TCP://127.0.0.1:8080', tcp('127.0.0.1', 8080)],
    ['tcp://127.0.0.1:8080/', tcp('127.0.0.1', 8080)],
    ['tcp://[::1]:8080', tcp('::1', 8080)],
    ['tcp://[::]:0', tcp('::', 0)],
    ['tcp://[fe80::1%eth0]:8080', tcp('fe80::1%eth0', 8080)],
    ['tcp://[::1]', tcp('::1', DEFAULT_PORT)],
    ['tcp://example.test', tcp('example.test', DEFAULT_PORT)],
    ['tcp://:8080', tcp(DEFAULT_HOST, 8080)],
    ['unix:/tmp/site.sock', unix('/tmp/site.sock')],
    ['UNIX:/tmp/site.sock', unix('/tmp/site.sock')],
    ['unix:///tmp/site.sock', unix('/tmp/site.sock')],
    ['unix:/tmp/run/../site.sock', unix('/tmp/site.sock')],
    ['unix:site.sock', unix(resolve(process.cwd(), 'site.sock'))],
    ['unix:./run/site.sock', unix(resolve(process.cwd(), 'run/site.sock'))],
  ])('%j → %o', (uri, expected) => {
    expect(parseEndpoint(uri, DEFAULT_HOST, DEFAULT_PORT)).toEqual(expected);
  });

  function errorFrom(uri: string): unknown {
    try {
      parseEndpoint(uri, DEFAULT_HOST, DEFAULT_PORT);
    } catch (error) {
      return error;
    }
    return undefined;
  }

  it.each([
    ['', 'empty listen endpoint: use a port (3000), tcp://host:port'],
    ['   ', 'empty listen endpoint'],
    ['foo://x', 'unsupported listen endpoint "foo://x": use a port (3000)'],
    ['http://127.0.0.1:8080', 'unsupported listen endpoint "http://127.0.0.1:8080"'],
    ['tcp://x:99999', 'invalid port "99999" in listen endpoint "tcp://x:99999": use a whole number from 0 to 65535'],
    ['65536', 'invalid port "65536" in listen endpoint "65536"'],
    ['1234567', 'invalid port "1234567"'],
    ['127.0.0.1:70000', 'invalid port "70000"'],
    ['unix:', 'listen endpoint "unix:" names no socket file'],
    ['localhost', 'cannot read listen endpoint "localhost": use a port (3000)'],
    ['[::1]', 'cannot read listen endpoint "[::1]"'],
    ['::1:8080', 'cannot read listen endpoint "::1:8080"'],
    ['tcp://[::1', 'cannot read listen endpoint "tcp://[::1"'],
    ['tcp://[not-v6]:80', 'cannot read listen endpoint "tcp://[not-v6]:80"'],
    ['tcp://host:80/path', 'cannot read listen endpoint "tcp://host:80/path"'],
    ['tcp://host:80:90', 'cannot read listen endpoint "tcp://host:80:90"'],
    ['tcp://a b:80', 'cannot read listen endpoint "tcp://a b:80"'],
    ['localhost:abc', 'cannot read listen endpoint "localhost:abc"'],
    ['-1', 'cannot read listen endpoint "-1"'],
  ])('%j is a UserError: %s', (uri, message) => {
    const error = errorFrom(uri);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it.each<[Endpoint, string]>([
    [tcp('localhost', 3000), 'localhost:3000'],
    [tcp('::1', 8080), '[::1]:8080'],
    [unix('/tmp/site.sock'), 'unix:/tmp/site.sock'],
  ])('describeEndpoint(%o) is %s', (endpoint, text) => {
    expect(describeEndpoint(endpoint)).toBe(text);
  });

  it.each<['http' | 'https', string, number, string]>([
    ['http', '127.0.0.1', 8080, 'http://127.0.0.1:8080/'],
    ['http', '::1', 8080, 'http://[::1]:8080/'],
    ['https', 'localhost', 443, 'https://localhost:443/'],
    ['http', 'fe80::1%eth0', 8080, 'http://[fe80::1%25eth0]:8080/'],
  ])('urlFor(%s, %s, %d) is %s', (scheme, host, port, url) => {
    expect(urlFor(scheme, host, port)).toBe(url);
  });
});

describe('serve({ listen })', () => {
  it('serves a port, a Unix socket and [::1] at once, and frees all three on close()', async () => {
    const sock = join(tempDir(), 's.sock');
    const handle = await started({ root: SITE, host: '127.0.0.1', listen: ['0', `unix:${sock}`, 'tcp://[::1]:0'] });

    expect(handle.urls).toHaveLength(3);
    expect(handle.servers).toHaveLength(3);
    const [first, socket, ipv6] = handle.urls as [string, string, string];
    expect(first).toBe(`http://127.0.0.1:${handle.port}/`);
    expect(socket).toBe(`unix:${sock}`);
    expect(ipv6).toMatch(/^http:\/\/\[::1\]:\d+\/$/);
    expect(handle.url).toBe(first);
    expect(handle.server).toBe(handle.servers[0]);
    expect(statSync(sock).isSocket()).toBe(true);
    for (const url of handle.urls) {
      const res = await getFrom(url, '/hello.txt');
      expect(res.status, url).toBe(200);
      expect(res.body.toString(), url).toBe(HELLO);
    }

    await handle.close();
    expect(existsSync(sock)).toBe(false);
    expect(handle.servers.every((server) => !server.listening)).toBe(true);
    await expect(getFrom(first, '/hello.txt')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(getFrom(ipv6, '/hello.txt')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(getFrom(socket, '/hello.txt')).rejects.toMatchObject({ code: 'ENOENT' });
    // All three can be bound again at once.
    const ipv6Port = Number(new URL(ipv6).port);
    const again = await started({
      root: SITE,
      strictPort: true,
      listen: [`tcp://127.0.0.1:${handle.port}`, `unix:${sock}`, `tcp://[::1]:${ipv6Port}`],
    });
    expect(again.urls).toEqual(handle.urls);
  });

  it('takes a single endpoint as a string; with only a socket, port is 0', async () => {
    const sock = join(tempDir(), 'only.sock');
    const handle = await started({ root: SITE, listen: `unix:${sock}` });

    expect(handle.urls).toEqual([`unix:${sock}`]);
    expect(handle.url).toBe(`unix:${sock}`);
    expect(handle.port).toBe(0);
    expect((await getFrom(handle.url, '/hello.txt')).body.toString()).toBe(HELLO);
  });

  it.each([
    ['tcp://0.0.0.0:0', '127.0.0.1'],
    ['tcp://[::]:0', '[::1]'],
  ])('%s is reported with a loopback URL that answers (%s)', async (endpoint, loopback) => {
    const handle = await started({ root: SITE, listen: endpoint });

    expect(handle.url).toBe(`http://${loopback}:${handle.port}/`);
    expect((await getFrom(handle.url, '/hello.txt')).status).toBe(200);
  });

  it('replaces a stale socket file that nothing answers on', async () => {
    const sock = join(tempDir(), 'stale.sock');
    await leaveStaleSocket(sock);
    expect(statSync(sock).isSocket()).toBe(true);
    expect(await connectOutcome(sock)).toBe('ECONNREFUSED');

    const handle = await started({ root: SITE, listen: `unix:${sock}` });

    const res = await getFrom(handle.url, '/hello.txt');
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe(HELLO);
  });

  it('rejects with EADDRINUSE on a socket a live server answers on, leaving that server alone', async () => {
    const sock = join(tempDir(), 'live.sock');
    await answerOn(sock);
    // A port to bind before the socket fails: it must be released again.
    const port = await freePort('127.0.0.1');

    await expect(
      serve({ root: SITE, strictPort: true, listen: [`tcp://127.0.0.1:${port}`, `unix:${sock}`] }),
    ).rejects.toMatchObject({ code: 'EADDRINUSE' });

    expect(statSync(sock).isSocket()).toBe(true);
    expect((await getFrom(`unix:${sock}`, '/')).body.toString()).toBe('live');
    expect(await bindable('127.0.0.1', port)).toBe(true);
  });

  it.each([
    ['a regular file', (path: string) => writeFileSync(path, 'precious\n')],
    ['a directory', (path: string) => mkdirSync(path)],
  ])('never removes %s at the socket path: rejects with ENOTSOCK', async (_name, make) => {
    const path = join(tempDir(), 'taken');
    make(path);

    await expect(serve({ root: SITE, listen: `unix:${path}` })).rejects.toMatchObject({ code: 'ENOTSOCK' });

    expect(existsSync(path)).toBe(true);
    if (statSync(path).isFile()) expect(readFileSync(path, 'utf8')).toBe('precious\n');
  });

  it.each<[string, ServeOptions['listen']]>([
    ['an unsupported scheme', 'foo://x'],
    ['a bad port after a good endpoint', ['0', 'tcp://x:99999']],
    ['a socket with no path', 'unix:'],
    ['a host without a port', 'localhost'],
    ['an empty list', []],
  ])('rejects %s with a TypeError', async (_name, listen) => {
    const attempt = serve({ root: SITE, listen });
    await expect(attempt).rejects.toBeInstanceOf(TypeError);
    await expect(attempt).rejects.toThrow(/^serve: /);
  });
});

/** Whether this machine has an IPv6 loopback (a container without IPv6 does not). */
const HAS_IPV6_LOOPBACK = await bindable('::1', 0);

describe('localhost answers on 127.0.0.1 and ::1', () => {
  /** Status and body of GET /hello.txt on each loopback address, at `port`. */
  async function bothAnswer(port: number): Promise<string[]> {
    const urls = [`http://127.0.0.1:${port}/`, ...(HAS_IPV6_LOOPBACK ? [`http://[::1]:${port}/`] : [])];
    return Promise.all(urls.map(async (url) => {
      const res = await getFrom(url, '/hello.txt');
      return `${url} ${res.status} ${res.body.toString()}`;
    }));
  }

  it('binds both on one port by default, and frees both on close()', async () => {
    const handle = await started({ root: SITE });
    expect(handle.url).toBe(`http://localhost:${handle.port}/`);
    expect(handle.servers).toHaveLength(1);
    expect(await bothAnswer(handle.port)).toEqual([
      `http://127.0.0.1:${handle.port}/ 200 ${HELLO}`,
      ...(HAS_IPV6_LOOPBACK ? [`http://[::1]:${handle.port}/ 200 ${HELLO}`] : []),
    ]);
    await handle.close();
    expect(await bindable('127.0.0.1', handle.port)).toBe(true);
    if (HAS_IPV6_LOOPBACK) expect(await bindable('::1', handle.port)).toBe(true);
  });

  it.skipIf(!HAS_IPV6_LOOPBACK)('a port busy on ::1 alone moves both addresses to the next free port', async () => {
    const held = await occupyPort('::1');
    cleanups.push(() => held.close());
    const handle = await started({ root: SITE, port: held.port });
    expect(handle.port).toBeGreaterThan(held.port);
    expect(await bothAnswer(handle.port)).toEqual([
      `http://127.0.0.1:${handle.port}/ 200 ${HELLO}`,
      `http://[::1]:${handle.port}/ 200 ${HELLO}`,
    ]);
    // The 127.0.0.1 side of the busy port was given back.
    expect(await bindable('127.0.0.1', held.port)).toBe(true);
  });

  it.skipIf(!HAS_IPV6_LOOPBACK)('with strictPort, a port busy on ::1 alone is EADDRINUSE, and 127.0.0.1 is given back', async () => {
    const held = await occupyPort('::1');
    cleanups.push(() => held.close());
    await expect(serve({ root: SITE, port: held.port, strictPort: true })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(await bindable('127.0.0.1', held.port)).toBe(true);
  });

  it('the CLI with --workers 2: every worker answers on both addresses', { timeout: 15_000 }, async () => {
    const cli = startCli([SITE, '--workers', '2', '-p', '0', '--quiet']);
    const port = await cli.port(10_000);
    const answers = (await Promise.all(Array.from({ length: 10 }, () => bothAnswer(port)))).flat();
    expect(answers.filter((line) => line.endsWith(` 200 ${HELLO}`))).toHaveLength(HAS_IPV6_LOOPBACK ? 20 : 10);
    cli.child.kill('SIGTERM');
    expect((await cli.waitForExit(10_000)).code).toBe(0);
  });
});

describe('--listen on the command line', () => {
  it('-l 0 -l unix: -l tcp://[::1]:0 -H 127.0.0.1: a banner line per endpoint, each answering; SIGTERM removes the socket', async () => {
    const sock = join(tempDir(), 's.sock');
    const cli = startCli([SITE, '-l', '0', '-l', `unix:${sock}`, '-l', 'tcp://[::1]:0', '-H', '127.0.0.1']);
    const port = await cli.port();
    const ipv6Port = localPort(cli.stdout, '[::1]');

    expect(endpointLines(cli.stdout)).toEqual([
      `  Local:    http://127.0.0.1:${port}/`,
      `  Socket:   unix:${sock}`,
      `  Local:    http://[::1]:${ipv6Port}/`,
      '  Network:  use --host to expose',
    ]);
    const responses = [
      await httpGet('127.0.0.1', port, '/hello.txt'),
      await httpGet('::1', ipv6Port, '/hello.txt'),
      await getFrom(`unix:${sock}`, '/hello.txt'),
    ];
    expect(responses.map((res) => [res.status, res.body.toString()])).toEqual(Array(3).fill([200, HELLO]));
    expect(cli.stderr).toBe('');

    cli.child.kill('SIGTERM');
    expect(await cli.waitForExit(5_000)).toEqual({ code: 0, signal: null });
    expect(existsSync(sock)).toBe(false);
    await expect(httpGet('127.0.0.1', port, '/hello.txt')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(httpGet('::1', ipv6Port, '/hello.txt')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('-p 0 beside -l unix: listens on both, the --port endpoint last', async () => {
    const sock = join(tempDir(), 's.sock');
    const cli = startCli([SITE, '-p', '0', '-l', `unix:${sock}`]);
    const port = await cli.port();

    expect(endpointLines(cli.stdout)).toEqual([
      `  Socket:   unix:${sock}`,
      `  Local:    http://localhost:${port}/`,
      '  Network:  use --host to expose',
    ]);
    expect((await httpGet(await localhostAddress(), port, '/hello.txt')).status).toBe(200);
    expect((await getFrom(`unix:${sock}`, '/hello.txt')).status).toBe(200);
  });

  it('with only a socket prints no Local: line and no --host hint', async () => {
    const sock = join(tempDir(), 's.sock');
    const cli = startCli([SITE, '-l', `unix:${sock}`]);

    expect(await bannerOf(cli)).toEqual([`  Socket:   unix:${sock}`]);
    expect((await getFrom(`unix:${sock}`, '/hello.txt')).body.toString()).toBe(HELLO);
  });

  it.each([
    ['127.0.0.1', '127.0.0.1', '127.0.0.1'],
    ['::1', '::1', '[::1]'],
  ])('--host %s -l 0 binds the bare port on that host (and adds no default endpoint)', async (host, address, shown) => {
    const cli = startCli([SITE, '--host', host, '-l', '0']);
    const port = await cli.port();

    expect(endpointLines(cli.stdout)).toEqual([`  Local:    http://${shown}:${port}/`, '  Network:  use --host to expose']);
    expect((await httpGet(address, port, '/hello.txt')).status).toBe(200);
  });

  it('takes listen from the config file', async () => {
    const site = copySite();
    cleanups.push(() => site.cleanup());
    const sock = join(tempDir(), 'config.sock');
    writeFileSync(join(site.root, 'tiny-serve.json'), JSON.stringify({ listen: [`unix:${sock}`, '0'] }));
    const cli = startCli([site.root, '-H', '127.0.0.1']);
    const port = await cli.port();

    expect(endpointLines(cli.stdout)).toEqual([
      `  Socket:   unix:${sock}`,
      `  Local:    http://127.0.0.1:${port}/`,
      '  Network:  use --host to expose',
    ]);
    expect(cli.stdout).toContain('config ');
    expect((await httpGet('127.0.0.1', port, '/hello.txt')).status).toBe(200);
    expect((await getFrom(`unix:${sock}`, '/hello.txt')).status).toBe(200);
  });

  it('resolves a relative socket path in the config file from the file\'s directory; a lone port may be a number', async () => {
    const configDir = tempDir();
    const config = join(configDir, 'tiny-serve.json');
    writeFileSync(config, JSON.stringify({ listen: 'unix:site.sock' }));
    const cli = startCli([SITE, '--config', config]);

    expect(await bannerOf(cli)).toEqual([`  Socket:   unix:${join(configDir, 'site.sock')}`]);
    expect((await getFrom(`unix:${join(configDir, 'site.sock')}`, '/hello.txt')).body.toString()).toBe(HELLO);

    writeFileSync(config, JSON.stringify({ listen: 0 }));
    const second = startCli([SITE, '--config', config, '-H', '127.0.0.1']);
    expect((await httpGet('127.0.0.1', await second.port(), '/hello.txt')).status).toBe(200);
  });

  it('--listen on the command line replaces the config file\'s listen', async () => {
    const site = copySite();
    cleanups.push(() => site.cleanup());
    const sock = join(tempDir(), 'config.sock');
    writeFileSync(join(site.root, 'tiny-serve.json'), JSON.stringify({ listen: `unix:${sock}` }));
    const cli = startCli([site.root, '-H', '127.0.0.1', '-l', '0']);
    const port = await cli.port();

    expect(endpointLines(cli.stdout)).toEqual([`  Local:    http://127.0.0.1:${port}/`, '  Network:  use --host to expose']);
    expect(existsSync(sock)).toBe(false);
  });

  it('--workers 2 with a port and a socket: one banner, both answer every request, SIGTERM removes the socket', { timeout: 15_000 }, async () => {
    const sock = join(tempDir(), 'workers.sock');
    const cli = startCli([SITE, '--workers', '2', '-l', '0', '-l', `unix:${sock}`, '-H', '127.0.0.1', '--quiet']);
    const port = await cli.port(10_000);

    expect(endpointLines(cli.stdout)).toEqual([
      `  Local:    http://127.0.0.1:${port}/`,
      `  Socket:   unix:${sock}`,
      '  Network:  use --host to expose',
    ]);
    expect(cli.stdout.match(/Press Ctrl\+C to stop/g)).toHaveLength(1);
    expect(cli.stdout).toContain('2 workers');
    const responses = await Promise.all([
      ...Array.from({ length: 20 }, () => httpGet('127.0.0.1', port, '/hello.txt')),
      ...Array.from({ length: 20 }, () => getFrom(`unix:${sock}`, '/hello.txt')),
    ]);
    expect(responses.filter((res) => res.status === 200 && res.body.toString() === HELLO)).toHaveLength(40);

    cli.child.kill('SIGTERM');
    expect((await cli.waitForExit(10_000)).code).toBe(0);
    expect(existsSync(sock)).toBe(false);
  });
});

describe('bad input: exit 1 with one tiny-serve: line', () => {
  it.each([
    ['an unsupported scheme', ['-l', 'foo://x'], 'unsupported listen endpoint "foo://x"'],
    ['--listen=http://…', ['--listen=http://127.0.0.1:8080'], 'unsupported listen endpoint "http://127.0.0.1:8080"'],
    ['a port out of range', ['-l', 'tcp://127.0.0.1:99999'], 'invalid port "99999" in listen endpoint "tcp://127.0.0.1:99999"'],
    ['a socket with no path', ['-l', 'unix:'], 'listen endpoint "unix:" names no socket file'],
    ['a host without a port', ['-l', 'localhost'], 'cannot read listen endpoint "localhost"'],
    ['an IPv6 address without a port', ['-l', '[::1]'], 'cannot read listen endpoint "[::1]"'],
    ['a bad endpoint after a good one', ['-l', '0', '-l', 'tcp://[::1'], 'cannot read listen endpoint "tcp://[::1"'],
  ])('a bad endpoint: %s', async (_name, args: string[], message) => {
    const line = expectOneLine(await runCli([SITE, ...args]));
    expect(line).toContain(message);
  });

  it('a socket in a directory that does not exist', async () => {
    const missing = join(tempDir(), 'missing');
    const sock = join(missing, 's.sock');
    const line = expectOneLine(await runCli([SITE, '-l', `unix:${sock}`]));
    expect(line).toBe(`tiny-serve: cannot listen on unix:${sock}: the directory ${missing} does not exist`);
  });

  it('a regular file where the socket should be, which is left alone', async () => {
    const path = join(tempDir(), 'notes.txt');
    writeFileSync(path, 'precious\n');
    const line = expectOneLine(await runCli([SITE, '-l', `unix:${path}`]));
    expect(line).toBe(`tiny-serve: cannot listen on unix:${path}: the path exists and is not a socket (it is left alone)`);
    expect(readFileSync(path, 'utf8')).toBe('precious\n');
  });

  it('a socket path longer than the kernel keeps', async () => {
    const path = join(tempDir(), `${'a'.repeat(120)}.sock`);
    const line = expectOneLine(await runCli([SITE, '-l', `unix:${path}`]));
    expect(line).toMatch(/^tiny-serve: socket path \S+ is too long: Unix sockets allow 10[37] bytes/);
    expect(existsSync(path.slice(0, 107))).toBe(false);
  });

  it('a link-local IPv6 address without its interface', async () => {
    const line = expectOneLine(await runCli([SITE, '-l', 'tcp://[fe80::1]:0']));
    expect(line).toBe('tiny-serve: cannot listen on [fe80::1]:0: a link-local IPv6 address needs its interface, as in tcp://[fe80::1%eth0]:0');
  });

  it('a socket another running tiny-serve answers on, which keeps serving', async () => {
    const sock = join(tempDir(), 'taken.sock');
    const first = startCli([SITE, '-l', `unix:${sock}`]);
    await first.waitForOutput(/Press Ctrl\+C to stop/);

    const line = expectOneLine(await runCli([SITE, '-l', '0', '-l', `unix:${sock}`]));
    expect(line).toBe(`tiny-serve: cannot listen on unix:${sock}: another server is answering on that socket`);
    expect(first.hasExited).toBe(false);
    expect((await getFrom(`unix:${sock}`, '/hello.txt')).body.toString()).toBe(HELLO);
  });

  it.each([
    ['--listen', [SITE, '-p', '0', '--listen'], 'listen'],
    ['-l', [SITE, '-p', '0', '-l'], 'listen'],
    ['--listen ""', [SITE, '-l', '0', '--listen', ''], 'listen'],
    ['--config', [SITE, '-p', '0', '--config'], 'config'],
    ['--auth', [SITE, '-p', '0', '--auth'], 'auth'],
    ['--header', [SITE, '-p', '0', '--header'], 'header'],
    ['--cache', [SITE, '-p', '0', '--cache'], 'cache'],
    ['--workers', [SITE, '-p', '0', '--workers'], 'workers'],
    ['--port', [SITE, '--port'], 'port'],
    ['-p', [SITE, '-p'], 'port'],
  ])('%s without a value', async (_name, args: string[], flag) => {
    const line = expectOneLine(await runCli(args));
    expect(line).toMatch(new RegExp(`^tiny-serve: --${flag} needs a value: \\S`));
  });

  it.each([
    ['a bad endpoint in a list', { listen: ['0', 'foo://x'] }, '"listen[1]": unsupported listen endpoint "foo://x"'],
    ['a bad endpoint as a string', { listen: 'tcp://x:99999' }, '"listen[0]": invalid port "99999"'],
    ['a socket with no path', { listen: ['unix:'] }, '"listen[0]": listen endpoint "unix:" names no socket file'],
  ])('a config file with %s names the file and the key', async (_name, config, message) => {
    const site = copySite();
    cleanups.push(() => site.cleanup());
    const path = join(site.root, 'tiny-serve.json');
    writeFileSync(path, JSON.stringify(config));

    const line = expectOneLine(await runCli([site.root, '-p', '0']));
    expect(line).toContain(`tiny-serve: ${path}: ${message}`);
  });

  // Root reads and writes anywhere, so as root these run the CLI as nobody (dist and fixtures are world-readable).
  const isRoot = process.getuid?.() === 0;
  const hasSetpriv = spawnSync('setpriv', ['--version']).status === 0;
  const unprivileged = isRoot ? { wrapper: { command: 'setpriv', prefix: ['--reuid=65534', '--regid=65534', '--clear-groups'] } } : {};

  it.skipIf(isRoot && !hasSetpriv)('a served directory it cannot read', async () => {
    const dir = tempDir();
    chmodSync(dir, 0o000);
    cleanups.push(() => chmodSync(dir, 0o700));

    const line = expectOneLine(await runCli([dir, '-p', '0'], unprivileged));
    expect(line).toBe(`tiny-serve: cannot read directory: ${dir} (permission denied)`);
  });

  it.skipIf(isRoot && !hasSetpriv)('a socket in a directory it may not write', async () => {
    const dir = join(tempDir(), 'read-only');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(join(dir, '..'), 0o755);
    chmodSync(dir, 0o555);
    const sock = join(dir, 's.sock');

    const line = expectOneLine(await runCli([SITE, '-l', `unix:${sock}`], unprivileged));
    expect(line).toBe(`tiny-serve: cannot listen on unix:${sock}: no permission to create the socket file there`);
    expect(existsSync(sock)).toBe(false);
  });
});
