// Builds what the package ships: dist/tiny-serve.js, the single executable CLI (yargs and mime-types
// inside, so the published package has no runtime dependencies); dist/index.js, the library entry
// (`import { serve, createHandler } from 'tiny-serve'`); and dist/types/, its declarations from tsc.
// Reports the bundle sizes and the CLI's cold-start time on stderr: stdout belongs to whoever runs the
// build, and `npm pack --json` (whose prepack this is) must print nothing there but its JSON.
// `--if-needed` skips the build when every output is newer than every source file.
import { build } from 'esbuild';
import { chmodSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { basename, join } from 'node:path';

const CLI_OUTFILE = 'dist/tiny-serve.js';
const LIBRARY_OUTFILE = 'dist/index.js';
const TYPES_DIR = 'dist/types';
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
    const built = Math.min(...[CLI_OUTFILE, LIBRARY_OUTFILE, `${TYPES_DIR}/index.d.ts`].map((file) => statSync(file).mtimeMs));
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

/** Options both bundles share: ESM for Node 20, mime-db compacted, and `require` for CommonJS inside. */
const shared = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  legalComments: 'eof',
  define: { __VERSION__: JSON.stringify(pkg.version) },
  plugins: [compactMimeDb],
  logLevel: 'warning',
};
// mime-types is CommonJS and calls require('path'): an ESM bundle must provide `require`.
const requireShim = "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);";

/**
 * Declarations for the library entry and what it reaches, with the compiler options of
 * tsconfig.json spelled out: that file also includes test/, and emits nothing.
 */
function emitDeclarations(outDir) {
  const tsc = spawnSync(
    process.execPath,
    [
      'node_modules/typescript/bin/tsc',
      'src/index.ts',
      '--ignoreConfig',
      '--declaration',
      '--emitDeclarationOnly',
      '--outDir', outDir,
      '--rootDir', 'src',
      '--target', 'ES2022',
      '--module', 'NodeNext',
      '--moduleResolution', 'NodeNext',
      '--lib', 'ES2022',
      '--types', 'node',
      '--strict',
      '--noUncheckedIndexedAccess',
      '--noImplicitOverride',
      '--isolatedModules',
      '--esModuleInterop',
      '--skipLibCheck',
    ],
    { encoding: 'utf8' },
  );
  if (tsc.status !== 0) {
    rmSync(outDir, { recursive: true, force: true });
    process.stderr.write(`${tsc.stdout}${tsc.stderr}${tsc.error ? `${tsc.error.message}\n` : ''}`);
    process.stderr.write(`build: tsc could not emit the declarations (exit ${tsc.status ?? tsc.signal})\n`);
    process.exit(1);
  }
}

await Promise.all([
  build({
    ...shared,
    entryPoints: ['src/cli/cli.ts'],
    outfile: CLI_OUTFILE,
    minify: true,
    banner: { js: `#!/usr/bin/env node\n${requireShim}` },
  }),
  // Identifiers kept: a library's stack traces are read by its users.
  build({
    ...shared,
    entryPoints: ['src/index.ts'],
    outfile: LIBRARY_OUTFILE,
    minifyWhitespace: true,
    minifySyntax: true,
    banner: { js: requireShim },
  }),
]);
chmodSync(CLI_OUTFILE, 0o755);
// Declarations of a module since deleted must not linger: emit afresh, then swap the directory in.
const freshTypes = 'dist/types.tmp';
rmSync(freshTypes, { recursive: true, force: true });
emitDeclarations(freshTypes);
rmSync(TYPES_DIR, { recursive: true, force: true });
renameSync(freshTypes, TYPES_DIR);
// Everything in dist/ is published, so anything else there (an old output) goes.
const outputs = new Set([CLI_OUTFILE, LIBRARY_OUTFILE, TYPES_DIR].map((path) => basename(path)));
for (const name of readdirSync('dist')) {
  if (!outputs.has(name)) rmSync(join('dist', name), { recursive: true, force: true });
}

const kib = (file) => `${(statSync(file).size / 1024).toFixed(1)} KiB`;
let fastest = Infinity;
for (let run = 0; run < 5; run += 1) {
  const started = process.hrtime.bigint();
  spawnSync(process.execPath, [CLI_OUTFILE, '--version']);
  fastest = Math.min(fastest, Number(process.hrtime.bigint() - started) / 1e6);
}
const declarations = readdirSync(TYPES_DIR, { recursive: true }).filter((name) => name.endsWith('.d.ts'));
const typesSize = declarations.reduce((sum, name) => sum + statSync(join(TYPES_DIR, name)).size, 0);
console.error(`built ${CLI_OUTFILE}: ${kib(CLI_OUTFILE)}, cold start (--version, best of 5) ${fastest.toFixed(0)} ms`);
console.error(`built ${LIBRARY_OUTFILE}: ${kib(LIBRARY_OUTFILE)}; ${TYPES_DIR}/: ${declarations.length} declaration files, ${(typesSize / 1024).toFixed(1)} KiB`);
