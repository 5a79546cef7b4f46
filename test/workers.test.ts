// --workers: several processes share one port; the primary prints one banner and stops them all.
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { SITE } from './helpers.js';
import { httpGet, linesOf, processesWithEnv, runCli, startCli, stopAll, type CliProcess } from './cli-helpers.js';
import { exitReason } from '../src/server/workers.js';

afterEach(async () => {
  await stopAll();
});

/** Pids of the live processes whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !condition()) await new Promise((done) => setTimeout(done, 25));
  return condition();
}

describe('--workers', () => {
  it.each([['2'], ['auto']])('--workers %s serves from several processes on one port, with one banner', async (count) => {
    const cli = startCli([SITE, '-p', '0', '-H', '127.0.0.1', '--workers', count, '--quiet']);
    const port = await cli.port();
    const expected = count === 'auto' ? Math.max(1, (await import('node:os')).availableParallelism()) : Number(count);
    expect(await waitFor(() => childrenOf(cli.child.pid!).length === expected, 5000)).toBe(true);
    const responses = await Promise.all(Array.from({ length: 20 }, () => httpGet('127.0.0.1', port, '/hello.txt')));
    expect(responses.every((res) => res.status === 200 && res.body.toString() === 'hello, world\n')).toBe(true);
    expect(cli.stdout.match(/Local:/g)).toHaveLength(1);
    if (expected > 1) expect(cli.stdout).toContain(`${expected} workers`);
  });

  it('stops every worker on SIGTERM and exits 0', { timeout: 15_000 }, async () => {
    const cli = startCli([SITE, '-p', '0', '-H', '127.0.0.1', '--workers', '2', '--quiet']);
    const port = await cli.port();
    expect(await waitFor(() => childrenOf(cli.child.pid!).length === 2, 5000)).toBe(true);
    const workers = childrenOf(cli.child.pid!);
    expect((await httpGet('127.0.0.1', port, '/hello.txt')).status).toBe(200);
    const started = Date.now();
    cli.child.kill('SIGTERM');
    const exit = await cli.waitForExit(10_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(exit.code).toBe(0);
    expect(workers.every((pid) => !readdirSync('/proc').includes(String(pid)))).toBe(true);
    await expect(httpGet('127.0.0.1', port, '/hello.txt')).rejects.toThrow();
  });

  it('replaces a worker that dies, and names the signal that killed it', async () => {
    const cli = startCli([SITE, '-p', '0', '-H', '127.0.0.1', '--workers', '2', '--quiet']);
    const port = await cli.port();
    expect(await waitFor(() => childrenOf(cli.child.pid!).length === 2, 5000)).toBe(true);
    const [victim] = childrenOf(cli.child.pid!);
    process.kill(victim!, 'SIGKILL');
    expect(await waitFor(() => {
      const now = childrenOf(cli.child.pid!);
      return now.length === 2 && !now.includes(victim!);
    }, 5000)).toBe(true);
    expect((await httpGet('127.0.0.1', port, '/hello.txt')).status).toBe(200);
    await cli.waitForOutput(new RegExp(`worker ${victim} exited \\(SIGKILL\\); starting another`));
    expect(cli.stdout).not.toContain('(null)');
  });

  it.each([
    [null, 'SIGKILL', 'SIGKILL'],
    [1, null, 'code 1'],
    [0, null, 'code 0'],
  ] as const)('names a worker exit (%s, %s) as %s', (code, signal, reason) => {
    expect(exitReason(code, signal)).toBe(reason);
  });

  it('keeps every worker serving after the reader of stdout leaves', { timeout: 15_000 }, async () => {
    const cli = startCli([SITE, '-p', '0', '-H', '127.0.0.1', '--workers', '2']);
    const port = await cli.port();
    expect(await waitFor(() => childrenOf(cli.child.pid!).length === 2, 5000)).toBe(true);
    const workers = childrenOf(cli.child.pid!).sort();
    cli.child.stdout!.destroy(); // as `tiny-serve --workers 2 | head -2` does once it has its lines

    const statuses: number[] = [];
    for (let request = 0; request < 10; request += 1) statuses.push((await httpGet('127.0.0.1', port, '/hello.txt')).status);
    expect(statuses).toEqual(Array(10).fill(200));
    expect(cli.hasExited).toBe(false);
    expect(childrenOf(cli.child.pid!).sort()).toEqual(workers); // none died writing its log line
    cli.child.kill('SIGTERM');
    expect(await cli.waitForExit(10_000)).toEqual({ code: 0, signal: null });
  });

  it('restarts a worker that keeps dying young ever more slowly', { timeout: 15_000 }, async () => {
    const cli = startCli([SITE, '-p', '0', '-H', '127.0.0.1', '--workers', '2', '--quiet']);
    const port = await cli.port();
    expect(await waitFor(() => childrenOf(cli.child.pid!).length === 2, 5000)).toBe(true);
    const gaps: number[] = [];
    for (let round = 0; round < 4; round += 1) {
      const before = childrenOf(cli.child.pid!);
      process.kill(before[before.length - 1]!, 'SIGKILL');
      const killed = Date.now();
      expect(await waitFor(() => {
        const now = childrenOf(cli.child.pid!);
        return now.length === 2 && now.some((pid) => !before.includes(pid));
      }, 5000)).toBe(true);
      gaps.push(Date.now() - killed);
    }

    // 0.1 s, 0.2 s, 0.4 s, 0.8 s: each wait doubles, and the server answers throughout.
    expect(gaps[3]!).toBeGreaterThanOrEqual(800);
    expect(gaps[3]! - gaps[0]!).toBeGreaterThanOrEqual(500);
    expect(cli.stdout).toMatch(/starting another in 0\.8 s/);
    expect((await httpGet('127.0.0.1', port, '/hello.txt')).status).toBe(200);
  });

  /**
   * The moments a stop can come: while the first worker starts (the primary has just forked it, and
   * handles signals from then on), while the second one starts, once all serve.
   */
  const moments: [string, (cli: CliProcess) => Promise<unknown>][] = [
    ['right after the first worker forks', (cli) => waitFor(() => childrenOf(cli.child.pid!).length > 0, 5000)],
    ['right after the second worker forks', (cli) => waitFor(() => childrenOf(cli.child.pid!).length > 1, 5000)],
    ['after the banner', (cli) => cli.port()],
  ];

  it.each(moments)('SIGTERM %s: exits 0, prints no banner after stopping and leaves no worker', { timeout: 15_000 }, async (_name, moment) => {
    // Workers inherit the environment: this run's processes are found by it, even once orphaned.
    const run = `TINY_SERVE_TEST_RUN=${randomUUID()}`;
    const cli = startCli([SITE, '-p', '0', '-H', '127.0.0.1', '--workers', '2', '--quiet'], { env: { TINY_SERVE_TEST_RUN: run.split('=')[1]! } });
    expect(await moment(cli)).toBeTruthy();
    cli.child.kill('SIGTERM');

    expect(await cli.waitForExit(10_000)).toEqual({ code: 0, signal: null });
    const stopping = cli.stdout.indexOf('stopping (Ctrl+C again to force)');
    expect(stopping, cli.stdout).toBeGreaterThanOrEqual(0);
    expect(cli.stdout.slice(stopping)).not.toContain('Local:');
    expect(processesWithEnv(run)).toEqual([]);
  });

  it.each([['0'], ['abc'], ['-2']])('--workers %s exits 1 with one line', async (value) => {
    const result = await runCli([SITE, '-p', '0', '--workers', value]);
    expect(result.code).toBe(1);
    const lines = linesOf(result.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^tiny-serve: .*workers/);
  });

  it('reports a bad directory once, from the primary', async () => {
    const result = await runCli(['/nonexistent-dir-for-workers', '--workers', '2']);
    expect(result.code).toBe(1);
    expect(linesOf(result.stderr)).toEqual(['tiny-serve: directory not found: /nonexistent-dir-for-workers']);
  });
});
