// The CLI's settings as units: flags, environment and config file, by the precedence defaults < config
// file < environment (PORT, TINY_SERVE_AUTH) < flags, and the one-line errors, without starting the CLI.
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SELF_SIGNED, settingsFrom, type Environment, type Settings } from '../src/cli/settings.js';
import type { CliArgs } from '../src/cli/options.js';
import type { FileConfig, LoadedConfig } from '../src/cli/config.js';
import { UserError } from '../src/errors.js';

const CONFIG_DIR = '/srv/site';
const NO_CONFIG: LoadedConfig = { path: undefined, config: {} };
const fromFile = (config: FileConfig): LoadedConfig => ({ path: `${CONFIG_DIR}/tiny-serve.json`, config });

/** The settings for these flags (the directory is `.` unless given), environment and config file. */
function settings(flags: Partial<CliArgs>, env: Environment = {}, loaded: LoadedConfig = NO_CONFIG): Settings {
  return settingsFrom({ dir: '.', ...flags }, env, loaded);
}

/** The UserError's message for these inputs, failing the test if they throw nothing or another error. */
function userError(flags: Partial<CliArgs>, env: Environment = {}, loaded: LoadedConfig = NO_CONFIG): string {
  let thrown: unknown;
  try {
    settings(flags, env, loaded);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(UserError);
  return (thrown as Error).message;
}

const portOf = (result: Settings): number | undefined => {
  const [endpoint] = result.endpoints;
  return endpoint?.kind === 'tcp' ? endpoint.port : undefined;
};

describe('defaults', () => {
  it('with no flags, no environment and no config file', () => {
    const result = settings({});
    expect(result.endpoints).toEqual([{ kind: 'tcp', host: 'localhost', port: 3000 }]);
    expect(result).toMatchObject({ strictPort: false, quiet: false, workers: 1, http2: true, tls: undefined, open: undefined, configPath: undefined });
    expect(result.handlerOptions).toMatchObject({ root: resolve('.'), configFile: undefined, auth: undefined, header: [], watchIgnore: [] });
  });
});

describe('precedence: defaults < config file < environment < flags', () => {
  it.each<[string, Partial<CliArgs>, Environment, FileConfig, number]>([
    ['the default', {}, {}, {}, 3000],
    ['the config file over the default', {}, {}, { port: 4000 }, 4000],
    ['$PORT over the config file', {}, { PORT: '5000' }, { port: 4000 }, 5000],
    ['--port over $PORT', { port: '6000' }, { PORT: '5000' }, { port: 4000 }, 6000],
    ['the config file when $PORT is empty', {}, { PORT: '' }, { port: 4000 }, 4000],
  ])('port: %s', (_name, flags, env, config, port) => {
    expect(portOf(settings(flags, env, fromFile(config)))).toBe(port);
  });

  it.each<[string, Partial<CliArgs>, Environment, FileConfig, string | undefined]>([
    ['none by default', {}, {}, {}, undefined],
    ['the config file', {}, {}, { auth: 'file:1' }, 'file:1'],
    ['$TINY_SERVE_AUTH over the config file', {}, { TINY_SERVE_AUTH: 'env:2' }, { auth: 'file:1' }, 'env:2'],
    ['--auth over $TINY_SERVE_AUTH', { auth: 'flag:3' }, { TINY_SERVE_AUTH: 'env:2' }, { auth: 'file:1' }, 'flag:3'],
    ['the config file when $TINY_SERVE_AUTH is empty', {}, { TINY_SERVE_AUTH: '' }, { auth: 'file:1' }, 'file:1'],
  ])('auth: %s', (_name, flags, env, config, auth) => {
    expect(settings(flags, env, fromFile(config)).handlerOptions.auth).toBe(auth);
  });

  // Each on/off setting: the default, the file's value over it, and the flag over the file both ways.
  it.each<[keyof CliArgs & keyof FileConfig, (result: Settings) => unknown, boolean]>([
    ['compress', (result) => result.handlerOptions.compress, true],
    ['etag', (result) => result.handlerOptions.etag, true],
    ['listing', (result) => result.handlerOptions.listing, true],
    ['fileCache', (result) => result.handlerOptions.fileCache, true],
    ['cacheHashed', (result) => result.handlerOptions.cacheHashed, false],
    ['cleanUrls', (result) => result.handlerOptions.cleanUrls, false],
    ['cors', (result) => result.handlerOptions.cors, false],
    ['watch', (result) => result.handlerOptions.watch, false],
    ['strictPort', (result) => result.strictPort, false],
    ['quiet', (result) => result.quiet, false],
    ['http2', (result) => result.http2, true],
  ])('%s: the file over the default, the flag over the file', (key, read, onByDefault) => {
    // The handler applies its own defaults to what is left undefined.
    expect(read(settings({})) ?? onByDefault).toBe(onByDefault);
    expect(read(settings({}, {}, fromFile({ [key]: !onByDefault })))).toBe(!onByDefault);
    expect(read(settings({ [key]: onByDefault }, {}, fromFile({ [key]: !onByDefault })))).toBe(onByDefault);
    expect(read(settings({ [key]: !onByDefault }, {}, fromFile({ [key]: onByDefault })))).toBe(!onByDefault);
  });

  it('host: the file over the default, the flag over the file; a bare --host is every interface', () => {
    expect(settings({}, {}, fromFile({ host: '127.0.0.2' })).endpoints).toEqual([{ kind: 'tcp', host: '127.0.0.2', port: 3000 }]);
    expect(settings({ host: '::1' }, {}, fromFile({ host: '127.0.0.2' })).endpoints).toEqual([{ kind: 'tcp', host: '::1', port: 3000 }]);
    expect(settings({ host: '' }, {}, fromFile({ host: '127.0.0.2' })).endpoints).toEqual([{ kind: 'tcp', host: '0.0.0.0', port: 3000 }]);
  });

  it('cache, workers, single: the flag over the file', () => {
    const file = fromFile({ cache: 3600, workers: 2, single: 'app.html' });
    expect(settings({}, {}, file)).toMatchObject({ workers: 2, handlerOptions: { cache: 3600, single: 'app.html' } });
    expect(settings({ cache: '60', workers: '3', single: 'other.html' }, {}, file)).toMatchObject({
      workers: 3,
      handlerOptions: { cache: 60, single: 'other.html' },
    });
    expect(settings({ workers: 'auto' }, {}, file).workers).toBe(availableParallelism());
  });

  it('single: a bare --single is index.html, --no-single turns off the file\'s', () => {
    expect(settings({ single: '' }).handlerOptions.single).toBe(true);
    expect(settings({ single: false }, {}, fromFile({ single: true })).handlerOptions.single).toBe(false);
  });

  it('header and watch-ignore: the flags add to the file\'s', () => {
    const file = fromFile({ header: ['X-File: 1'], watchIgnore: ['*.log'] });
    expect(settings({ header: ['X-Flag: 2'], watchIgnore: ['tmp/**'] }, {}, file).handlerOptions).toMatchObject({
      header: ['X-File: 1', 'X-Flag: 2'],
      watchIgnore: ['*.log', 'tmp/**'],
    });
  });
});

describe('endpoints', () => {
  it('--listen replaces the file\'s listen; relative sockets are from the current directory, or the file\'s', () => {
    const file = fromFile({ listen: ['unix:file.sock'] });
    expect(settings({}, {}, file).endpoints).toEqual([{ kind: 'unix', path: `${CONFIG_DIR}/file.sock` }]);
    expect(settings({ listen: ['unix:flag.sock'] }, {}, file).endpoints).toEqual([{ kind: 'unix', path: resolve('flag.sock') }]);
  });

  it('a listen list alone ignores $PORT; --port adds an endpoint beside it', () => {
    const socket = { kind: 'unix', path: resolve('s.sock') };
    expect(settings({ listen: ['unix:s.sock'] }, { PORT: '5000' }).endpoints).toEqual([socket]);
    expect(settings({ listen: ['unix:s.sock'], port: '0' }).endpoints).toEqual([socket, { kind: 'tcp', host: 'localhost', port: 0 }]);
  });

  it('a tcp:// endpoint without a port gets the CLI\'s 3000', () => {
    expect(settings({ listen: ['tcp://127.0.0.1'] }).endpoints).toEqual([{ kind: 'tcp', host: '127.0.0.1', port: 3000 }]);
  });
});

describe('TLS files', () => {
  it('from the file are relative to it; from the flags, as given', () => {
    const file = fromFile({ sslCert: 'cert.pem', sslKey: 'key.pem' });
    expect(settings({}, {}, file).tls).toEqual({ cert: `${CONFIG_DIR}/cert.pem`, key: `${CONFIG_DIR}/key.pem`, pass: undefined });
    expect(settings({ sslKey: 'mine.pem' }, {}, file).tls).toEqual({ cert: `${CONFIG_DIR}/cert.pem`, key: 'mine.pem', pass: undefined });
  });

  it.each<[string, Partial<CliArgs>, FileConfig, string]>([
    ['a key flag', { sslKey: 'key.pem' }, {}, '--ssl-key needs --ssl-cert'],
    ['a passphrase flag', { sslPass: 'pass.txt' }, {}, '--ssl-pass needs --ssl-cert'],
    ['a key in the file', {}, { sslKey: 'key.pem' }, '--ssl-key needs --ssl-cert'],
  ])('%s without a certificate is one line', (_name, flags, config, message) => {
    expect(userError(flags, {}, fromFile(config))).toBe(message);
  });
});

describe('--ssl: a certificate of its own', () => {
  it.each<[string, Partial<CliArgs>, FileConfig, Settings['tls']]>([
    ['--ssl', { ssl: true }, {}, SELF_SIGNED],
    ['"ssl": true in the file', {}, { ssl: true }, SELF_SIGNED],
    ['--no-ssl over the file\'s "ssl"', { ssl: false }, { ssl: true }, undefined],
    ['--ssl over the file\'s certificate files', { ssl: true }, { sslCert: 'cert.pem', sslKey: 'key.pem' }, SELF_SIGNED],
    ['--ssl-cert over the file\'s "ssl"', { sslCert: 'c.pem', sslKey: 'k.pem' }, { ssl: true }, { cert: 'c.pem', key: 'k.pem', pass: undefined }],
  ])('%s', (_name, flags, config, tls) => {
    expect(settings(flags, {}, fromFile(config)).tls).toEqual(tls);
  });

  it.each<[string, Partial<CliArgs>, FileConfig, string]>([
    ['--ssl with --ssl-cert', { ssl: true, sslCert: 'c.pem', sslKey: 'k.pem' }, {}, '--ssl makes its own certificate: leave out --ssl-cert, or --ssl'],
    ['--ssl with --ssl-key', { ssl: true, sslKey: 'k.pem' }, {}, '--ssl makes its own certificate: leave out --ssl-key, or --ssl'],
    ['"ssl" with "sslCert" in the file', {}, { ssl: true, sslCert: 'c.pem' }, `${CONFIG_DIR}/tiny-serve.json: "ssl" makes its own certificate: leave out "sslCert", or "ssl"`],
  ])('%s is one line', (_name, flags, config, message) => {
    expect(userError(flags, {}, fromFile(config))).toBe(message);
  });
});

describe('bad values: one line each', () => {
  it.each<[string, Partial<CliArgs>, Environment, string]>([
    ['--port abc', { port: 'abc' }, {}, 'invalid port "abc" from --port: use a whole number from 0 to 65535'],
    ['--port 70000', { port: '70000' }, {}, 'invalid port "70000" from --port: use a whole number from 0 to 65535'],
    ['PORT=abc', {}, { PORT: 'abc' }, 'invalid port "abc" from the PORT variable: use a whole number from 0 to 65535'],
    ['--workers 0', { workers: '0' }, {}, 'invalid --workers "0": use a whole number from 1, or auto'],
    ['--cache 1.5', { cache: '1.5' }, {}, 'invalid --cache "1.5": use a whole number of seconds'],
    ['--listen foo://x', { listen: ['foo://x'] }, {}, 'unsupported listen endpoint "foo://x": use a port (3000), tcp://host:port, tcp://[::1]:port or unix:/path/to.sock'],
  ])('%s', (_name, flags, env, message) => {
    expect(userError(flags, env)).toBe(message);
  });
});

describe('public (serve\'s key): the root, relative to the served directory', () => {
  // Real directories: the root must exist. The fixture site has `nested/`.
  const site = resolve(import.meta.dirname, '../fixtures/site');

  it.each([
    ['a relative path', 'nested', resolve(site, 'nested')],
    ['a relative path with a trailing slash', './nested/', resolve(site, 'nested')],
    ['an absolute path', resolve(site, 'nested'), resolve(site, 'nested')],
    ['the directory itself', '.', site],
  ])('%s', (_name, publicDir, root) => {
    const result = settingsFrom({ dir: site }, {}, fromFile({ public: publicDir }));
    expect(result.handlerOptions.root).toBe(root);
    expect(result.handlerOptions).not.toHaveProperty('public');
  });

  it('relative to the served directory, not to the config file given by --config', () => {
    const loaded: LoadedConfig = { path: '/elsewhere/serve.json', config: { public: 'nested' } };
    expect(settingsFrom({ dir: site }, {}, loaded).handlerOptions.root).toBe(resolve(site, 'nested'));
  });

  it.each([
    ['missing', 'no-such-dir', 'directory not found'],
    ['a file', 'hello.txt', 'not a directory'],
  ])('a public directory that is %s: one error naming the file and the key', (_name, publicDir, problem) => {
    let thrown: unknown;
    try {
      settingsFrom({ dir: site }, {}, fromFile({ public: publicDir }));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UserError);
    expect((thrown as Error).message).toBe(`${CONFIG_DIR}/tiny-serve.json: "public": ${problem}: ${resolve(site, publicDir)}`);
  });
});

