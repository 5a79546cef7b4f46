// CLI test helpers: spawning the built bundle, waiting on its output and exit, killing it in cleanup,
// ports from the OS, and plain HTTP requests to any host.
import { spawn, type ChildProcess } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { readFileSync, readdirSync } from 'node:fs';
import { request, type Agent, type IncomingHttpHeaders } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { resolve } from 'node:path';
import { CLI, collect } from './helpers.js';

/** The repository root: the CLI runs from here, so relative paths in its output are stable. */
export const REPO = resolve(import.meta.dirname, '..');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  /** Extra environment; PORT, NO_COLOR and FORCE_COLOR are removed from the inherited one first. */
  env?: Record<string, string>;
  /** Runs `command [...prefix, node, CLI, ...args]` instead of `node CLI ...args` (e.g. setpriv). */
  wrapper?: { command: string; prefix: string[] };
}

/** Every process started and not yet reaped, so `stopAll` (afterEach) can kill and wait for them. */
const running = new Set<CliProcess>();

export class CliProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  /** Resolves (never rejects) once the process has exited and its output is fully read. */
  readonly exited: Promise<Exit>;
  private exit: Exit | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(args: string[], { env = {}, wrapper }: SpawnOptions = {}) {
    const childEnv: NodeJS.ProcessEnv = { ...process.env };
    delete childEnv.PORT;
    delete childEnv.NO_COLOR;
    delete childEnv.FORCE_COLOR;
    Object.assign(childEnv, env);
    const command = wrapper ? wrapper.command : process.execPath;
    const argv = wrapper ? [...wrapper.prefix, process.execPath, CLI, ...args] : [CLI, ...args];
    this.child = spawn(command, argv, { cwd: REPO, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      this.stdout += text;
      this.notify();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      this.stderr += text;
      this.notify();
    });
    this.exited = new Promise<Exit>((done) => {
      this.child.once('error', (error) => {
        this.stderr += `spawn failed: ${error.message}\n`;
        this.exit = { code: null, signal: null };
        done(this.exit);
      });
      this.child.once('close', (code, signal) => {
        this.exit = { code, signal };
        done(this.exit);
      });
    }).finally(() => {
      running.delete(this);
      this.notify();
    });
    running.add(this);
  }

  get hasExited(): boolean {
    return this.exit !== undefined;
  }

  private notify(): void {
    for (const waiter of this.waiters) waiter();
  }

  private describe(): string {
    return `\n--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`;
  }

  /** Resolves with the first match of `pattern` in stdout; rejects on exit or timeout. */
  waitForOutput(pattern: RegExp, timeoutMs = 5_000): Promise<RegExpMatchArray> {
    return new Promise((done, fail) => {
      const check = (): void => {
        const match = this.stdout.match(pattern);
        if (match) finish(() => done(match));
        else if (this.exit) finish(() => fail(new Error(`exited (${JSON.stringify(this.exit)}) before ${pattern}${this.describe()}`)));
      };
      const timer = setTimeout(() => finish(() => fail(new Error(`timed out waiting for ${pattern}${this.describe()}`))), timeoutMs);
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        settle();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Resolves with the exit status; rejects if the process is still running after `timeoutMs`. */
  async waitForExit(timeoutMs = 5_000): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, fail) => {
      timer = setTimeout(() => fail(new Error(`still running after ${timeoutMs} ms${this.describe()}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits for the whole startup banner and returns the port from its `Local:` line. */
  async port(timeoutMs = 5_000): Promise<number> {
    const [, port] = await this.waitForOutput(/Local: {4}https?:\/\/\S+:(\d+)\/[^]*Press Ctrl\+C to stop/, timeoutMs);
    return Number(port);
  }

  /** Kills the process if it still runs and waits for it to be gone. */
  async stop(): Promise<Exit> {
    if (!this.exit) this.child.kill('SIGKILL');
    return this.exited;
  }
}

export function startCli(args: string[], options?: SpawnOptions): CliProcess {
  return new CliProcess(args, options);
}

/** Runs the CLI to completion (killing it after `timeoutMs`) and returns its exit and output. */
export async function runCli(
  args: string[],
  options?: SpawnOptions,
  timeoutMs = 5_000,
): Promise<Exit & { stdout: string; stderr: string }> {
  const cli = startCli(args, options);
  try {
    const exit = await cli.waitForExit(timeoutMs);
    return { ...exit, stdout: cli.stdout, stderr: cli.stderr };
  } finally {
    await cli.stop();
  }
}

/** For afterEach: kills every CLI process still running and waits for all of them to exit. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((cli) => cli.stop()));
}

/** Output split into lines; the newline ending the last line does not add an empty one. */
export function linesOf(text: string): string[] {
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
}

/** The address `localhost` resolves to first — the one a server listening on "localhost" binds. */
export async function localhostAddress(): Promise<string> {
  return (await lookup('localhost')).address;
}

/** A TCP server holding a port the OS chose on `host`. Close it with `close()`. */
export async function occupyPort(host: string): Promise<{ server: NetServer; port: number; close(): Promise<void> }> {
  const server = createNetServer();
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, host, () => done());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

/** A port the OS just handed out on `host`, released again before returning. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const probe = await occupyPort(host);
  await probe.close();
  return probe.port;
}

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A GET to `host:port/path` (IPv6 literals allowed) that reads the whole body. */
export function httpGet(host: string, port: number, path: string, agent: Agent | false = false): Promise<HttpResult> {
  return new Promise((done, fail) => {
    const req = request({ host, port, path, agent }, (res) => {
      collect(res).then(done, fail);
    });
    req.on('error', fail);
    req.end();
  });
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** Pids of the running (not zombie) processes whose environment holds `entry` (`NAME=value`), from /proc. */
export function processesWithEnv(entry: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
        return readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').includes(entry);
      } catch {
        return false; // gone meanwhile, or not ours to read
      }
    })
    .map(Number);
}

