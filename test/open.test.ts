// --open: the browser opener is called with the served URL; without one, a note and the server runs on.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SITE, waitFor } from './helpers.js';
import { httpGet, startCli, stopAll } from './cli-helpers.js';

describe.skipIf(process.platform !== 'linux')('--open', () => {
  let bin: string;
  const record = (): string => join(bin, 'opened');
  beforeEach(() => {
    bin = mkdtempSync(join(tmpdir(), 'tiny-serve-open-'));
    // A stand-in for xdg-open that records what it was asked to open.
    writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\necho "$@" > "${record()}"\n`);
    chmodSync(join(bin, 'xdg-open'), 0o755);
  });
  afterEach(async () => {
    await stopAll();
    rmSync(bin, { recursive: true, force: true });
  });

  /** The opener's whole line: the shell creates the file before `echo` has written to it. */
  const recorded = (): string => {
    try {
      return readFileSync(record(), 'utf8');
    } catch {
      return '';
    }
  };

  it.each([
    [['--open'], '/'],
    [['--open', '/nested/'], '/nested/'],
    [['--open', 'snow ☃/'], '/snow%20%E2%98%83/'],
    // Under a base the path is the site's: the base goes in front.
    [['--base', 'repo', '--open'], '/repo/'],
    [['--base', 'repo', '--open', '/nested/'], '/repo/nested/'],
    [['--base', 'repo', '--open', 'nested/page.html'], '/repo/nested/page.html'],
  ])('%j opens the served URL at %s', async (flags, path) => {
    const cli = startCli([SITE, '-p', '0', '-H', '127.0.0.1', '--quiet', ...flags], { env: { PATH: `${bin}:${process.env.PATH}` } });
    const port = await cli.port();
    expect(await waitFor(() => recorded().endsWith('\n'), 5000)).toBe(true);
    expect(recorded().trim()).toBe(`http://127.0.0.1:${port}${path}`);
  });

  it('without a browser opener says so in one line and keeps serving', async () => {
    const cli = startCli([SITE, '-p', '0', '-H', '127.0.0.1', '--quiet', '--open'], { env: { PATH: '/nonexistent' } });
    const port = await cli.port();
    await cli.waitForOutput(/could not open a browser \(xdg-open not found\); open http:\/\/127\.0\.0\.1:\d+\/ yourself/);
    expect((await httpGet('127.0.0.1', port, '/hello.txt')).status).toBe(200);
    expect(cli.hasExited).toBe(false);
  });
});
