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

/**
 * mime-db is half the bundle. Only types with file extensions can come out of a lookup by file name,
 * and only these fields are read (by mime-types and by our compressibility check); the rest is
 * dropped, and the table is embedded as a JSON string, which V8 parses far faster than an object
 * literal of the same size. Cold start is the reason.
 */
const compactMimeDb = {
  name: 'compact-mime-db',
  setup(builder) {
    builder.onLoad({ filter: /[\\/]mime-db[\\/]db\.json$/ }, ({ path }) => {
      const db = JSON.parse(readFileSync(path, 'utf8'));
      const kept = {};
      for (const [type, { extensions, charset, compressible, source }] of Object.entries(db)) {
        if (extensions) kept[type] = { extensions, charset, compressible, source };
      }
      return { contents: `module.exports = JSON.parse(${JSON.stringify(JSON.stringify(kept))});`, loader: 'js' };
    });
  },
};

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
  plugins: [compactMimeDb],
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
