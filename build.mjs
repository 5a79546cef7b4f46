// Builds what the package ships: dist/tiny-serve.js, the single executable CLI (yargs and mime-types
// inside, so the published package has no runtime dependencies); dist/index.js, the library entry
// (`import { serve, createHandler } from 'tiny-serve'`); and dist/types/, its declarations from tsc.
// Reports the bundle sizes and the CLI's cold-start time on stderr: stdout belongs to whoever runs the
// build, and `npm pack --json` (whose prepack this is) must print nothing there but its JSON.
// `--if-needed` skips the build when every output is newer than every source file.
import { build } from 'esbuild';
import { appendFileSync, chmodSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { basename, dirname, join } from 'node:path';
import { builtinModules, createRequire } from 'node:module';
import { promisify } from 'node:util';
import { brotliCompressSync, constants as zlibConstants } from 'node:zlib';

const requireHere = createRequire(import.meta.url);

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
    // Our own `import db from 'mime-db'` takes the table as it is: esbuild's default import of a
    // CommonJS module would first copy its ~1,000 keys into getters (~2 ms of every start).
    builder.onResolve({ filter: /^mime-db$/ }, ({ importer, resolveDir }) =>
      /[\\/]src[\\/]/.test(importer) ? { path: 'mime-db', namespace: 'mime-db-as-is', pluginData: resolveDir } : undefined,
    );
    builder.onLoad({ filter: /.*/, namespace: 'mime-db-as-is' }, ({ pluginData }) => ({
      contents: "export default require('mime-db');",
      loader: 'js',
      resolveDir: pluginData,
    }));
  },
};

/**
 * Node's own modules are reached through `require`, not `import`: importing a built-in from ESM builds
 * its ESM facade, which reads every export once, and on Node 24 reading node:http's exports loads
 * undici (~40 ms of a cold start, for a fetch nothing makes). Each built-in becomes a one-line CommonJS
 * module inside the bundle, whose exports esbuild reads only where they are used. Those the first
 * response does not need (LAZY_BUILTINS) are not even loaded until one of their exports is read: a
 * module of getters stands in for them, with the export names of the Node running the build.
 */
/**
 * Plain functions of a lazy built-in stand in as forwarders rather than getters, so that taking one
 * at start-up (yargs keeps `assert.strictEqual` in an object, encoding.ts promisifies `zlib.gzip`)
 * does not load the module. Classes (capitalised) and functions with their own promisified form stay
 * getters: `new`, `instanceof` and `util.promisify` must see the real thing.
 */
const forwards = (real, name) =>
  typeof real[name] === 'function' && /^[a-z]/.test(name) && !(promisify.custom in real[name]);
const LAZY_BUILTIN_RUNTIME = `module.exports = (load, got, forwarded) => {
  const stand = {};
  for (const name of got) Object.defineProperty(stand, name, { get: () => load()[name], enumerable: true });
  for (const name of forwarded) stand[name] = function (...args) { return load()[name].apply(this, args); };
  return stand;
};`;
const LAZY_BUILTINS = ['assert', 'child_process', 'cluster', 'crypto', 'http2', 'https', 'os', 'readline', 'tls', 'zlib'];
const builtinsByRequire = {
  name: 'builtins-by-require',
  setup(builder) {
    const builtins = new Set(builtinModules);
    builder.onResolve({ filter: /^lazy-builtin$/ }, () => ({ path: 'lazy-builtin', namespace: 'builtin-runtime' }));
    builder.onLoad({ filter: /.*/, namespace: 'builtin-runtime' }, () => ({ contents: LAZY_BUILTIN_RUNTIME, loader: 'js' }));
    builder.onResolve({ filter: /^(node:)?[a-z_/0-9]+$/ }, ({ path, namespace }) => {
      const name = path.replace(/^node:/, '');
      if (!builtins.has(name)) return undefined;
      return namespace === 'builtin' ? { path: `node:${name}`, external: true } : { path: name, namespace: 'builtin' };
    });
    builder.onLoad({ filter: /.*/, namespace: 'builtin' }, ({ path }) => {
      const id = JSON.stringify(`node:${path}`);
      if (!LAZY_BUILTINS.includes(path)) return { contents: `module.exports = require(${id});`, loader: 'js' };
      const real = requireHere(`node:${path}`);
      const names = Object.getOwnPropertyNames(real);
      const forwarded = names.filter((name) => forwards(real, name));
      const got = names.filter((name) => !forwards(real, name));
      return {
        contents: `module.exports = require('lazy-builtin')(() => require(${id}), ${JSON.stringify(got)}, ${JSON.stringify(forwarded)});`,
        loader: 'js',
      };
    });
  },
};

/**
 * Packages only `--help` and error messages use, evaluated on first call rather than at start-up:
 * yargs and cliui import string-width and wrap-ansi, whose module bodies build an Intl.Segmenter and
 * Unicode-property regexps (about a third of the bundle's top-level evaluation). Each import of them
 * gets a stand-in default export that requires the real module, resolved from the importer, when first
 * called; esbuild then evaluates the real one lazily.
 */
const DEFERRED_PACKAGES = ['string-width', 'wrap-ansi'];
const deferHelpOnly = {
  name: 'defer-help-only',
  setup(builder) {
    const filter = new RegExp(`^(${DEFERRED_PACKAGES.join('|')})$`);
    builder.onResolve({ filter }, async ({ path, resolveDir, kind, pluginData }) => {
      if (pluginData?.real) return undefined;
      const real = await builder.resolve(path, { resolveDir, kind, pluginData: { real: true } });
      if (real.errors.length > 0) return { errors: real.errors };
      return { path: real.path, namespace: 'deferred' };
    });
    builder.onResolve({ filter: /.*/, namespace: 'deferred' }, ({ path }) => ({ path }));
    builder.onLoad({ filter: /.*/, namespace: 'deferred' }, ({ path }) => ({
      contents: `let real;\nexport default (...args) => (real ??= require(${JSON.stringify(path)}).default)(...args);`,
      loader: 'js',
    }));
  },
};

/**
 * yargs' factory calls `.version()` with no argument, which guesses the version by listing directories
 * upward from the bundle (or the working directory) until a package.json turns up: directory reads at
 * every start, for a version parser.ts sets itself. The call is removed; the build fails if yargs no
 * longer reads as expected.
 */
const yargsNoVersionGuess = {
  name: 'yargs-no-version-guess',
  setup(builder) {
    builder.onLoad({ filter: /[\\/]yargs[\\/]build[\\/]lib[\\/]yargs-factory\.js$/ }, ({ path }) => {
      const source = readFileSync(path, 'utf8');
      const guess = /\n\s*yargs\.version\(\);/g;
      if ((source.match(guess) ?? []).length !== 1) throw new Error(`${path}: expected one yargs.version() in the factory`);
      return { contents: source.replace(guess, ''), loader: 'js' };
    });
  },
};

/**
 * yargs checks its own state with assert.strictEqual/notStrictEqual on every parse, and loading
 * node:assert also sets up colours and process.stderr (~4 ms of a start). yargs gets two equivalent
 * checks that load node:assert only to report a failure.
 */
const YARGS_ASSERT = `export function strictEqual(actual, expected, message) {
  if (!Object.is(actual, expected)) require('node:assert').strictEqual(actual, expected, message);
}
export function notStrictEqual(actual, expected, message) {
  if (Object.is(actual, expected)) require('node:assert').notStrictEqual(actual, expected, message);
}`;
const yargsAssert = {
  name: 'yargs-assert',
  setup(builder) {
    builder.onResolve({ filter: /^(node:)?assert$/ }, ({ importer }) =>
      /[\\/]node_modules[\\/]yargs[\\/]/.test(importer) ? { path: 'assert', namespace: 'yargs-assert' } : undefined,
    );
    builder.onLoad({ filter: /.*/, namespace: 'yargs-assert' }, () => ({ contents: YARGS_ASSERT, loader: 'js' }));
  },
};

/**
 * Modules only some flags need, with libraries too big to parse at every start (@peculiar/x509 is
 * ~340 KiB minified: V8 would pre-parse it on every run, ~10 ms). Each is bundled apart as CommonJS,
 * brotli-compressed, and appended to the CLI as one base64 line comment (`//embedded:<name> …`): a
 * comment is the cheapest text for V8 to skip, cheaper than a string literal of the same length. In
 * the module's place the CLI gets a stand-in with the same exports, as async functions that on first
 * call read that line back from the CLI's own file, decompress it (node:zlib) and compile it (node:vm,
 * with a file name for stack traces). The packed modules' license comments stay readable in the CLI.
 */
const EMBEDDED = ['src/server/cert-generator.ts', 'src/cli/qr-code.ts', 'src/export/export.ts'];

async function packModule(entry) {
  const name = basename(entry, '.ts');
  const common = { entryPoints: [entry], bundle: true, platform: 'node', target: 'node20', write: false, logLevel: 'warning' };
  const [code, shape] = await Promise.all([
    build({ ...common, format: 'cjs', minify: true, legalComments: 'external', outfile: `${name}.js` }),
    build({ ...common, format: 'esm', metafile: true, outfile: `${name}.mjs` }),
  ]);
  const file = (suffix) => code.outputFiles.find((output) => output.path.endsWith(suffix))?.text ?? '';
  const packed = brotliCompressSync(file(`${name}.js`), { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11 } });
  const exports = Object.values(shape.metafile.outputs)[0].exports;
  const legal = file('.LEGAL.txt').replaceAll('/*', '(*').replaceAll('*/', '*)');
  const contents = `${legal ? `/*! Embedded in ${name}:\n${legal}*/\n` : ''}import { createRequire } from 'node:module';
let loaded;
function load() {
  if (loaded) return loaded;
  const requireHere = createRequire(import.meta.url);
  const file = requireHere('node:url').fileURLToPath(import.meta.url);
  const self = requireHere('node:fs').readFileSync(file, 'latin1');
  const packed = /^\\/\\/embedded:${name} ([A-Za-z0-9+/=]+)$/m.exec(self)?.[1];
  if (packed === undefined) throw new Error(\`\${file} lacks its embedded ${name}: build it again\`);
  const code = requireHere('node:zlib').brotliDecompressSync(Buffer.from(packed, 'base64')).toString('utf8');
  const module = { exports: {} };
  requireHere('node:vm').compileFunction(code, ['require', 'module', 'exports'], { filename: 'embedded:${name}.js' })(requireHere, module, module.exports);
  return (loaded = module.exports);
}
${exports.map((exported) => `export const ${exported} = async (...args) => load().${exported}(...args);`).join('\n')}
`;
  return { path: join(import.meta.dirname, entry), contents, bytes: packed.length, line: `//embedded:${name} ${packed.toString('base64')}\n` };
}

/** The embedded modules' stand-ins, in the CLI bundle only (the library entry reaches none of them). */
function embedModules(packedModules) {
  return {
    name: 'embed-modules',
    setup(builder) {
      for (const { path, contents } of packedModules) {
        const filter = new RegExp(`^${path.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')}$`);
        builder.onLoad({ filter }, () => ({ contents, loader: 'js', resolveDir: dirname(path) }));
      }
    },
  };
}

/** Options both bundles share: ESM for Node 20, mime-db compacted, and `require` for CommonJS inside. */
const shared = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  legalComments: 'eof',
  define: { __VERSION__: JSON.stringify(pkg.version) },
  plugins: [compactMimeDb, yargsAssert, builtinsByRequire, deferHelpOnly, yargsNoVersionGuess],
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

const packedModules = await Promise.all(EMBEDDED.map(packModule));
await Promise.all([
  build({
    ...shared,
    plugins: [embedModules(packedModules), ...shared.plugins],
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
appendFileSync(CLI_OUTFILE, packedModules.map(({ line }) => line).join(''));
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
const embeddedSize = packedModules.map(({ path, bytes }) => `${basename(path, '.ts')} ${(bytes / 1024).toFixed(1)} KiB`).join(', ');
console.error(`built ${CLI_OUTFILE}: ${kib(CLI_OUTFILE)} (embedded, brotli: ${embeddedSize}), cold start (--version, best of 5) ${fastest.toFixed(0)} ms`);
console.error(`built ${LIBRARY_OUTFILE}: ${kib(LIBRARY_OUTFILE)}; ${TYPES_DIR}/: ${declarations.length} declaration files, ${(typesSize / 1024).toFixed(1)} KiB`);
