// The package as a new user meets it: `npm pack`'s tarball (after the build `npm test` does), installed
// globally into a temporary prefix, run through `npm exec`, and imported by a project that depends on it.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SITE } from './helpers.js';
import { REPO, httpGet } from './cli-helpers.js';

const run = promisify(execFile);
const TIMEOUT = 60_000;
const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };

let work: string;
let tarball: string;
/** npm's own environment (npm_config_*, npm_package_*, from `npm test`) left out; a private cache. */
let env: NodeJS.ProcessEnv;

/** Runs npm to completion; rejects with its output when it fails. */
function npm(args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  return run('npm', args, { cwd, env, timeout: TIMEOUT, maxBuffer: 16 * 1024 * 1024 });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tiny-serve-package-'));
  env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
  delete env.NO_COLOR;
  delete env.FORCE_COLOR;
  delete env.PORT;
  Object.assign(env, {
    npm_config_cache: join(work, 'npm-cache'),
    npm_config_update_notifier: 'false',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
  });
  // --ignore-scripts: prepack would rebuild dist/ under the other test files running now.
  const { stdout } = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], REPO);
  const [packed] = JSON.parse(stdout) as [{ filename: string }];
  tarball = join(work, packed.filename);
}, TIMEOUT);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

let server: ChildProcess | undefined;
afterEach(() => {
  server?.kill('SIGKILL');
  server = undefined;
});

describe('the npm package', () => {
  it('holds only dist/, README.md, LICENSE and package.json', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball]);
    const files = stdout.trim().split('\n').sort();
    for (const file of files) expect(file).toMatch(/^package\/(dist\/.+|README\.md|LICENSE|package\.json)$/);
    expect(files).toEqual(
      expect.arrayContaining([
        'package/LICENSE',
        'package/README.md',
        'package/package.json',
        'package/dist/tiny-serve.js',
        'package/dist/index.js',
        'package/dist/types/index.d.ts',
        'package/dist/types/server/serve.d.ts',
        'package/dist/types/types.d.ts',
      ]),
    );
    expect(files.filter((file) => file.startsWith('package/dist/types/')).every((file) => file.endsWith('.d.ts'))).toBe(true);
  }, TIMEOUT);

  it('has no runtime dependencies', async () => {
    const { stdout } = await run('tar', ['-xzOf', tarball, 'package/package.json']);
    const manifest = JSON.parse(stdout) as Record<string, unknown>;
    for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies', 'bundleDependencies']) {
      expect(manifest, field).not.toHaveProperty(field);
    }
    expect(manifest.bin).toEqual({ 'tiny-serve': 'dist/tiny-serve.js' });
  }, TIMEOUT);

  it('installs globally into a prefix and serves a directory', async () => {
    const prefix = join(work, 'global');
    await npm(['install', '--global', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], work);

    const child = spawn(join(prefix, 'bin', 'tiny-serve'), ['fixtures/site', '-p', '0', '-H', '127.0.0.1'], {
      cwd: REPO,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server = child;
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
    const exited = new Promise<number | null>((done) => child.once('close', (code) => done(code)));
    const port = await new Promise<number>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`no banner within 10 s:\n${output}`)), 10_000);
      child.stdout.on('data', () => {
        const match = /Local: {4}http:\/\/127\.0\.0\.1:(\d+)\//.exec(output);
        if (match) {
          clearTimeout(timer);
          done(Number(match[1]));
        }
      });
      void exited.then((code) => fail(new Error(`exited with ${code} before the banner:\n${output}`)));
    });

    const res = await httpGet('127.0.0.1', port, '/hello.txt');
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('hello, world\n');

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, TIMEOUT);

  it('runs through npm exec --package=<tarball>', async () => {
    const cwd = join(work, 'exec');
    mkdirSync(cwd);
    const { stdout } = await npm(['exec', '--yes', '--offline', `--package=${tarball}`, '--', 'tiny-serve', '--version'], cwd);
    expect(stdout.trim()).toBe(version);
  }, TIMEOUT);

  // The pack in beforeAll skips prepack: here it runs, in a copy of the sources (the build rewrites
  // dist/, which the other test files are using now), and the build's report must not end up in the JSON.
  it('npm pack --json prints valid JSON, prepack build included', async () => {
    const copy = join(work, 'source');
    mkdirSync(copy);
    for (const name of ['package.json', 'build.mjs', 'src', 'README.md', 'LICENSE']) {
      cpSync(join(REPO, name), join(copy, name), { recursive: true });
    }
    symlinkSync(join(REPO, 'node_modules'), join(copy, 'node_modules'));
    const { stdout, stderr } = await npm(['pack', '--dry-run', '--json'], copy);
    expect(stderr).toContain('built dist/tiny-serve.js');
    const [packed] = JSON.parse(stdout) as [{ name: string; files: { path: string }[] }];
    expect(packed.name).toBe('tiny-serve');
    expect(packed.files.map((file) => file.path)).toContain('dist/tiny-serve.js');
  }, TIMEOUT);

  it('is imported and type-checked by a project that depends on it', async () => {
    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    await npm(['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], app);
    // Valid as TypeScript and as JavaScript: tsc checks it against the shipped declarations, node runs it.
    const source = [
      "import { serve, type ServeOptions } from 'tiny-serve';",
      "const options: ServeOptions = { root: process.argv[2] ?? '.', host: '127.0.0.1' };",
      'const site = await serve(options);',
      "const res = await fetch(new URL('hello.txt', site.url));",
      'console.log(res.status, JSON.stringify(await res.text()));',
      'await site.close();',
      '',
    ].join('\n');
    writeFileSync(join(app, 'main.ts'), source);
    writeFileSync(
      join(app, 'main.js'),
      source.replace('{ serve, type ServeOptions }', '{ serve }').replace('const options: ServeOptions =', 'const options ='),
    );

    await run(
      process.execPath,
      [
        join(REPO, 'node_modules/typescript/bin/tsc'),
        '--ignoreConfig',
        '--noEmit',
        '--strict',
        '--target', 'ES2022',
        '--module', 'NodeNext',
        '--moduleResolution', 'NodeNext',
        '--types', 'node',
        '--typeRoots', join(REPO, 'node_modules/@types'),
        'main.ts',
      ],
      { cwd: app, timeout: TIMEOUT },
    );
    // The process ends by itself: close() leaves no server, watcher or timer behind.
    const { stdout } = await run(process.execPath, ['main.js', SITE], { cwd: app, env, timeout: 20_000 });
    expect(stdout).toBe('200 "hello, world\\n"\n');
  }, TIMEOUT);
});
