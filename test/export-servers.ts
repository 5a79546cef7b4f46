// Export test helpers: the real nginx and Caddy started on an exported configuration, tiny-serve
// started with the same flags, the same request sent to each, and their answers compared field by
// field, with every difference a target is allowed named in a table with its reason.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import { freePort, runCli, startCli, type CliProcess } from './cli-helpers.js';
import { SITE } from './helpers.js';

export type Target = 'nginx' | 'caddy';

/** A running server under test, stopped by `stop()` (or `stopServers()` in afterAll). */
export interface Running {
  port: number;
  https: boolean;
  stop(): Promise<void>;
  /** What the server wrote about itself (its error log), for failure messages. */
  log(): string;
}

const started = new Set<Running>();

/** Stops every server these helpers started and has not stopped yet. */
export async function stopServers(): Promise<void> {
  await Promise.all([...started].map((server) => server.stop()));
}

/** Resolves once something accepts connections on 127.0.0.1:port; rejects after `timeoutMs` or when `exited` first. */
async function waitForPort(port: number, exited: () => boolean, log: () => string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((done) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        done(true);
      });
      socket.on('error', () => done(false));
    });
    if (open) return;
    if (exited()) throw new Error(`the server exited before listening on ${port}:\n${log()}`);
    if (Date.now() > deadline) throw new Error(`nothing listened on ${port} within ${timeoutMs} ms:\n${log()}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

/** Spawns a server process and waits for its port; its stdout and stderr are its log. */
async function spawnServer(command: string, args: string[], port: number, https: boolean, env: NodeJS.ProcessEnv = process.env): Promise<Running> {
  let output = '';
  let exited = false;
  const child: ChildProcess = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (output += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (output += text));
  const gone = new Promise<void>((done) => {
    child.once('exit', () => {
      exited = true;
      done();
    });
    child.once('error', (error) => {
      output += `spawn failed: ${error.message}\n`;
      exited = true;
      done();
    });
  });
  const running: Running = {
    port,
    https,
    log: () => output,
    stop: async () => {
      started.delete(running);
      if (!exited) child.kill('SIGKILL');
      await gone;
    },
  };
  started.add(running);
  try {
    await waitForPort(port, () => exited, () => output);
  } catch (error) {
    await running.stop();
    throw error;
  }
  return running;
}

/**
 * nginx on an exported configuration, as Debian's nginx.conf includes a site: inside `http { … }`,
 * after the stock `mime.types` and `default_type`. Everything it writes goes to `dir`.
 */
export async function startNginx(config: string, port: number, dir: string, https = false): Promise<Running> {
  const site = join(dir, 'site.conf');
  writeFileSync(site, config);
  const temp = (name: string): string => `${name}_temp_path ${JSON.stringify(join(dir, `${name}-temp`))};`;
  const main = [
    'daemon off;',
    'master_process off;',
    'worker_processes 1;',
    // As root (CI), nginx would switch its workers to nobody, who cannot read a private temp copy.
    process.getuid?.() === 0 ? 'user root;' : '',
    `pid ${JSON.stringify(join(dir, 'nginx.pid'))};`,
    `error_log ${JSON.stringify(join(dir, 'error.log'))} warn;`,
    'events { worker_connections 256; }',
    'http {',
    '    include /etc/nginx/mime.types;',
    '    default_type application/octet-stream;',
    '    access_log off;',
    `    ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n    ')}`,
    `    include ${JSON.stringify(site)};`,
    '}',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'nginx.conf'), main);
  const test = await runProcess('nginx', ['-t', '-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')]);
  if (test.code !== 0) throw new Error(`nginx -t refused the exported configuration:\n${test.output}\n--- site.conf ---\n${config}`);
  return spawnServer('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], port, https);
}

/** Caddy on an exported site block, with a global block that keeps it to this test: no admin API, no automatic HTTPS, state in `dir`. */
export async function startCaddy(config: string, port: number, dir: string, https = false): Promise<Running> {
  const file = join(dir, 'Caddyfile');
  const global = ['{', '\tadmin off', '\tauto_https off', `\tstorage file_system ${JSON.stringify(join(dir, 'storage'))}`, '}', ''];
  writeFileSync(file, `${global.join('\n')}\n${config}`);
  const env = { ...process.env, HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') };
  const check = await runProcess('caddy', ['validate', '--config', file, '--adapter', 'caddyfile'], env);
  if (check.code !== 0) throw new Error(`caddy validate refused the exported configuration:\n${check.output}\n--- Caddyfile ---\n${config}`);
  return spawnServer('caddy', ['run', '--config', file, '--adapter', 'caddyfile'], port, https, env);
}

/** Runs a command to its end: its exit code and its output. */
function runProcess(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    let output = '';
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.once('error', (error) => done({ code: -1, output: `${output}spawn failed: ${error.message}` }));
    child.once('close', (code) => done({ code, output }));
  });
}

/** tiny-serve's CLI serving `dir` with `flags` on `port`. */
export async function startTinyServe(dir: string, flags: string[], port: number, https = false): Promise<Running> {
  const cli: CliProcess = startCli([dir, ...flags, '-p', String(port), '-H', '127.0.0.1', '--quiet', '--strict-port']);
  const running: Running = {
    port,
    https,
    log: () => cli.stdout + cli.stderr,
    stop: async () => {
      started.delete(running);
      await cli.stop();
    },
  };
  started.add(running);
  try {
    await waitForPort(port, () => cli.child.exitCode !== null, () => cli.stdout + cli.stderr);
  } catch (error) {
    await running.stop();
    throw error;
  }
  return running;
}

/** `tiny-serve export <target> <dir> <flags>`: the configuration printed, and the warnings. */
export async function exportConfig(target: Target, dir: string, flags: string[]): Promise<{ text: string; warnings: string[] }> {
  const result = await runCli(['export', target, dir, ...flags], undefined, 15_000);
  if (result.code !== 0) throw new Error(`tiny-serve export ${target} failed (${result.code}):\n${result.stderr}`);
  return { text: result.stdout, warnings: result.stderr.split('\n').filter((line) => line !== '') };
}

/** One request of a probe list: sent as it is written (`..` and `%2e` reach the server). */
export interface Probe {
  path: string;
  method?: string;
  headers?: Record<string, string>;
  /**
   * Sends the server's own validator of the previous GET to `path` as If-None-Match (each server
   * has its own ETag format), so that its 304 is compared.
   */
  revalidate?: boolean;
}

export interface Observed {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body, decoded when it came with a Content-Encoding. */
  body: Buffer;
  /** The Content-Encoding it came with (`gzip`, `br`), or ''. */
  coding: string;
}

/** Sends one request, as written, over a fresh connection. */
export function send(server: Running, probe: Probe, extraHeaders: Record<string, string> = {}): Promise<Observed> {
  const request = server.https ? httpsRequest : httpRequest;
  return new Promise((done, fail) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        path: probe.path,
        method: probe.method ?? 'GET',
        // One Host for every server (not its port), so that what a proxy forwards of it compares equal.
        headers: { host: 'localhost', ...probe.headers, ...extraHeaders },
        agent: false,
        rejectUnauthorized: false,
        servername: 'localhost',
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', fail);
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          const coding = String(res.headers['content-encoding'] ?? '');
          const body = coding === 'gzip' ? gunzipSync(raw) : coding === 'br' ? brotliDecompressSync(raw) : raw;
          done({ status: res.statusCode ?? 0, headers: res.headers, body, coding });
        });
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer to ${probe.method ?? 'GET'} ${probe.path} within 10 s`)));
    req.on('error', fail);
    req.end();
  });
}

/** The fields compared on every answer (custom headers are added per case). */
export const FIELDS = ['status', 'location', 'content-type', 'cache-control', 'vary', 'x-content-type-options', 'body'] as const;

/** A field's value as compared: header lists (Vary, Cache-Control) in any order and case, absent as ''. */
export function fieldValue(observed: Observed, field: string): string {
  if (field === 'status') return String(observed.status);
  if (field === 'body') return observed.body.toString('latin1');
  const value = observed.headers[field];
  const text = Array.isArray(value) ? value.join(', ') : (value ?? '');
  if (field === 'vary' || field === 'cache-control') {
    return [...new Set(text.split(',').map((item) => item.trim().toLowerCase()).filter(Boolean))].sort().join(', ');
  }
  return text;
}

/** A difference a target may show, with the reason it is not a fault: the matrix's table of allowances. */
export interface Allowance {
  field: string;
  /** Which answers it covers: by tiny-serve's answer and the probe. */
  when: (ours: Observed, probe: Probe) => boolean;
  reason: string;
}

/** A field that differs between tiny-serve and a target, with no allowance for it. */
export interface Mismatch {
  probe: string;
  field: string;
  ours: string;
  theirs: string;
}

function describeProbe(probe: Probe): string {
  const headers = Object.entries(probe.headers ?? {}).map(([name, value]) => `${name}: ${value}`);
  return [`${probe.method ?? 'GET'} ${probe.path}`, ...headers, probe.revalidate ? '(revalidated)' : ''].filter(Boolean).join(' | ');
}

/** The value shown in a mismatch: short, printable. */
function shown(value: string): string {
  const printable = value.replace(/[^\x20-\x7e]/g, '.');
  return printable.length > 120 ? `${printable.slice(0, 117)}...` : printable;
}

/**
 * Sends every probe to tiny-serve and to the target (one at a time, in order) and lists every field
 * that differs without an allowance. Each `revalidate` probe uses that server's own ETag from the
 * probe before it (which must be a GET of the same path).
 */
export async function compare(ours: Running, theirs: Running, probes: Probe[], fields: readonly string[], allowances: Allowance[]): Promise<Mismatch[]> {
  const mismatches: Mismatch[] = [];
  const lastTag = new Map<Running, string>();
  const sendTo = async (server: Running, probe: Probe): Promise<Observed> => {
    const extra: Record<string, string> = probe.revalidate ? { 'if-none-match': lastTag.get(server) ?? '"none"' } : {};
    const observed = await send(server, probe, extra);
    if (!probe.revalidate) lastTag.set(server, String(observed.headers.etag ?? ''));
    return observed;
  };
  for (const probe of probes) {
    const mine = await sendTo(ours, probe);
    const other = await sendTo(theirs, probe);
    for (const field of fields) {
      const [a, b] = [fieldValue(mine, field), fieldValue(other, field)];
      if (a === b) continue;
      if (allowances.some((allowance) => allowance.field === field && allowance.when(mine, probe))) continue;
      mismatches.push({ probe: describeProbe(probe), field, ours: shown(a), theirs: shown(b) });
    }
  }
  return mismatches;
}

/** Mismatches as a readable table, for the assertion's message. */
export function report(mismatches: Mismatch[]): string {
  return mismatches.map(({ probe, field, ours, theirs }) => `${probe}\n    ${field}: tiny-serve ${JSON.stringify(ours)} | target ${JSON.stringify(theirs)}`).join('\n');
}

/** A private copy of the fixture site in `dir`, with a link out of it, and a config file when given. */
export function siteCopy(dir: string, config?: object): string {
  const root = join(dir, 'site');
  cpSync(SITE, root, { recursive: true });
  const outside = join(dir, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), 'outside the root\n');
  symlinkSync(outside, join(root, 'outside-link'));
  symlinkSync(join(root, 'hello.txt'), join(root, 'inside-link.txt'));
  if (config) writeFileSync(join(root, 'tiny-serve.json'), JSON.stringify(config, null, 2));
  return root;
}

/** A temporary directory for one case: the site copy, the target's files. */
export function caseDirectory(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'tiny-serve-export-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export { freePort };
