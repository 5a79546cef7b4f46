// Bundles src/ into the single executable dist/tiny-serve.js (yargs and mime-types inside, so the
// published package has no runtime dependencies), then reports its size and cold-start time.
// `--if-needed` skips the build when the bundle is newer than every source file.
import { build } from 'esbuild';
import { chmodSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const OUTFILE = 'dist/tiny-serve.js';
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function isUpToDate() {
  try {
    const built = statSync(OUTFILE).mtimeMs;
    return built > Math.max(newestSource('src'), statSync('package.json').mtimeMs, statSync('build.mjs').mtimeMs);
  } catch {
    return false;
  }
}

if (process.argv.includes('--if-needed') && isUpToDate()) process.exit(0);

await build({
  entryPoints: ['src/cli.ts'],
  outfile: OUTFILE,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  legalComments: 'eof',
  define: { __VERSION__: JSON.stringify(pkg.version) },
  // mime-types is CommonJS and calls require('path'): an ESM bundle must provide `require`.
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
chmodSync(OUTFILE, 0o755);

const size = statSync(OUTFILE).size;
let fastest = Infinity;
for (let run = 0; run < 5; run += 1) {
  const started = process.hrtime.bigint();
  spawnSync(process.execPath, [OUTFILE, '--version']);
  fastest = Math.min(fastest, Number(process.hrtime.bigint() - started) / 1e6);
}
console.log(`built ${OUTFILE}: ${(size / 1024).toFixed(1)} KiB, cold start (--version, best of 5) ${fastest.toFixed(0)} ms`);
