// The CLI's memory policy: V8's young generation stays at its start-up size whatever the garbage,
// unless the user sized it with a Node option. Spawns the built bundle (`node build.mjs` first).
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startCli, stopAll } from './cli-helpers.js';
import { SITE } from './helpers.js';

const MiB = 1024 * 1024;

/**
 * Preloaded into the CLI (NODE_OPTIONS=--import): on SIGUSR2 it makes request-like garbage (short-
 * lived objects, thousands alive at a time, which is what makes V8 grow the young generation) and
 * prints the young generation's size.
 */
const PROBE = `
import { getHeapSpaceStatistics } from 'node:v8';
process.on('SIGUSR2', () => {
  let alive = [];
  for (let i = 0; i < 2e6; i++) {
    alive.push({ index: i, text: 'request ' + i });
    if (alive.length > 20000) alive = [];
  }
  const young = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
  process.stdout.write('young generation: ' + young.space_size + ' bytes\\n');
});
`;

const dir = mkdtempSync(join(tmpdir(), 'tiny-serve-memory-'));
const probe = join(dir, 'probe.mjs');
writeFileSync(probe, PROBE);
afterEach(stopAll);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The young generation's size in the CLI, after the probe's garbage, with `nodeOptions` in front of the probe. */
async function youngGenerationAfterGarbage(nodeOptions = ''): Promise<number> {
  const cli = startCli([SITE, '-p', '0', '-H', '127.0.0.1'], { env: { NODE_OPTIONS: `${nodeOptions} --import=${pathToFileURL(probe).href}` } });
  await cli.port();
  cli.child.kill('SIGUSR2');
  const [, bytes] = await cli.waitForOutput(/young generation: (\d+) bytes/, 15_000);
  return Number(bytes);
}

describe('young generation', () => {
  // By default V8 would double it up to 2 × 16 MiB (Node 20, 22) or more (24): 20+ MiB more resident memory under load.
  it('stays at its start-up size (two semi-spaces of 2 MiB at most) under garbage', async () => {
    expect(await youngGenerationAfterGarbage()).toBeLessThanOrEqual(4 * MiB);
  });

  it('grows as the user asked with --max-semi-space-size', async () => {
    expect(await youngGenerationAfterGarbage('--max-semi-space-size=8')).toBeGreaterThan(4 * MiB);
  });
});
