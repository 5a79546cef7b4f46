// Flags, environment and config file → the settings the CLI runs with, by one precedence:
// defaults < config file < environment (PORT, TINY_SERVE_AUTH) < flags. Pure functions that throw a
// UserError, so the precedence is tested without starting the CLI.
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { parseBase } from '../handler/base-path.js';
import { PORT_RULE, parseEndpoint, portFromText, type Endpoint } from '../server/endpoints.js';
import { tlsFiles, type TlsFiles } from '../server/tls.js';
import { parseProxyFlag } from '../features/proxy.js';
import type { HandlerOptions, ProxyRule } from '../types.js';
import { loadConfig, type FileConfig, type LoadedConfig } from './config.js';
import { LOG_FORMATS, type LogFormat } from './log-formats.js';
import { DEFAULT_PORT, type CliArgs } from './options.js';

/** Everything the CLI needs to serve, announce and log. */
export interface Settings {
  /** Where to listen, in the order given; at least one. */
  endpoints: Endpoint[];
  strictPort: boolean;
  quiet: boolean;
  /** The request log's format. */
  logFormat: LogFormat;
  /** The file the request log is appended to (undefined: stdout). */
  logFile: string | undefined;
  /** Path to open in the browser once listening (undefined: do not open). */
  open: string | undefined;
  workers: number;
  configPath: string | undefined;
  /** TLS files, SELF_SIGNED for `--ssl`'s own certificate (undefined: plain HTTP). */
  tls: TlsFiles | typeof SELF_SIGNED | undefined;
  http2: boolean;
  /** --qr: show the Network URL as a QR code under the banner. */
  qr: boolean;
  handlerOptions: HandlerOptions;
}

/** `--ssl` (or `"ssl": true`): tiny-serve makes, keeps and reuses its own certificate. */
export const SELF_SIGNED = 'self-signed';

/** The environment variables the CLI reads. */
export interface Environment {
  PORT?: string;
  TINY_SERVE_AUTH?: string;
}

/** A port from the command line or $PORT: a whole number from 0 to 65535. */
function parsePort(raw: string, source: string): number {
  const port = portFromText(raw);
  if (port === undefined) throw new UserError(`invalid port ${JSON.stringify(raw)} from ${source}: use ${PORT_RULE}`);
  return port;
}

/** --workers: a whole number from 1, or `auto` (one per core). */
function parseWorkers(raw: string | undefined): number {
  if (raw === undefined) return 1;
  if (raw === 'auto') return availableParallelism();
  if (!/^\d{1,3}$/.test(raw) || Number(raw) < 1) throw new UserError(`invalid --workers ${JSON.stringify(raw)}: use a whole number from 1, or auto`);
  return Number(raw);
}

/** --log-format: one of the formats. */
function parseLogFormat(raw: string): LogFormat {
  const format = LOG_FORMATS.find((name) => name === raw);
  if (format === undefined) throw new UserError(`invalid --log-format ${JSON.stringify(raw)}: use ${LOG_FORMATS.join(', ')}`);
  return format;
}

/** --cache: whole seconds. */
function parseCacheSeconds(raw: string): number {
  if (!/^\d{1,10}$/.test(raw)) throw new UserError(`invalid --cache ${JSON.stringify(raw)}: use a whole number of seconds`);
  return Number(raw);
}

/**
 * The endpoints: every --listen (or the config's `listen`, whose relative socket paths are from the
 * file's directory), plus --port/--host when given, else host:port.
 */
function endpointsFrom(args: CliArgs, env: Environment, config: FileConfig, configDir: string | undefined): Endpoint[] {
  const given = args.host ?? config.host ?? 'localhost';
  const host = given === '' ? '0.0.0.0' : given; // a bare --host
  const flagPort = args.port === undefined ? undefined : parsePort(args.port, '--port');
  const [listen, base] = args.listen ? [args.listen, process.cwd()] : [config.listen, configDir];
  const endpoints = (listen ?? []).map((uri) => parseEndpoint(uri, host, DEFAULT_PORT, base));
  if (endpoints.length > 0 && flagPort === undefined) return endpoints;
  const port = flagPort ?? (env.PORT ? parsePort(env.PORT, 'the PORT variable') : (config.port ?? DEFAULT_PORT));
  return [...endpoints, { kind: 'tcp', host, port }];
}

/**
 * Proxy rules: the file's, with a --proxy for the same prefix (or a second bare target) replacing
 * the file's; --proxy-insecure turns certificate checks off for every rule.
 */
function proxyRulesFrom(args: CliArgs, fileRules: ProxyRule[] = []): ProxyRule[] | undefined {
  const flagRules = (args.proxy ?? []).map(parseProxyFlag);
  const sameAs = ({ prefix }: ProxyRule): string | undefined => (prefix === undefined ? undefined : prefix.replace(/\/+$/, '') || '/');
  const given = new Set(flagRules.map(sameAs));
  const rules = [...fileRules.filter((rule) => !given.has(sameAs(rule))), ...flagRules];
  if (rules.length === 0) return undefined;
  return args.proxyInsecure ? rules.map((rule) => ({ ...rule, secure: false })) : rules;
}

/** The handler's options: the file's, each overridden by its flag; lists (headers, ignores) add up. */
function handlerOptionsFrom(args: CliArgs, env: Environment, fileOptions: Omit<HandlerOptions, 'root'>): Omit<HandlerOptions, 'root'> {
  return {
    ...fileOptions,
    compress: args.compress ?? fileOptions.compress,
    cache: args.cache !== undefined ? parseCacheSeconds(args.cache) : fileOptions.cache,
    cacheHashed: args.cacheHashed ?? fileOptions.cacheHashed,
    etag: args.etag ?? fileOptions.etag,
    fileCache: args.fileCache ?? fileOptions.fileCache,
    listing: args.listing ?? fileOptions.listing,
    single: args.single === '' ? true : (args.single ?? fileOptions.single), // a bare --single: index.html
    cleanUrls: args.cleanUrls ?? fileOptions.cleanUrls,
    base: args.base !== undefined ? parseBase(args.base, '--base') : fileOptions.base,
    cors: args.cors ?? fileOptions.cors,
    crossOriginIsolated: args.crossOriginIsolated ?? fileOptions.crossOriginIsolated,
    header: [...(fileOptions.header ?? []), ...(args.header ?? [])],
    auth: args.auth ?? (env.TINY_SERVE_AUTH || undefined) ?? fileOptions.auth,
    watch: args.watch ?? fileOptions.watch,
    watchIgnore: [...(fileOptions.watchIgnore ?? []), ...(args.watchIgnore ?? [])],
    proxy: proxyRulesFrom(args, fileOptions.proxy),
  };
}

/**
 * The directory to serve: the config's `public` (serve's key), relative to the served directory as
 * serve reads it, else the served directory. A `public` that is no directory is the file's error.
 */
function rootFrom(dir: string, publicDir: string | undefined, configPath: string | undefined): string {
  if (publicDir === undefined) return resolve(dir);
  const root = resolve(dir, publicDir);
  let isDirectory: boolean;
  try {
    isDirectory = statSync(root).isDirectory();
  } catch {
    throw new UserError(`${configPath}: "public": directory not found: ${root}`);
  }
  if (!isDirectory) throw new UserError(`${configPath}: "public": not a directory: ${root}`);
  return root;
}

const CERTIFICATE_FLAGS = ['sslCert', 'sslKey', 'sslPass'] as const;
const dashed = (key: string): string => key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);

/**
 * `--ssl` against certificate files: together on one level (both flags, or both keys of the file)
 * they are a mistake; across levels the flag wins, as every flag overrides the file.
 */
function selfSigned(args: CliArgs, config: FileConfig, configPath: string | undefined): boolean {
  const flagFile = CERTIFICATE_FLAGS.find((key) => args[key] !== undefined);
  if (args.ssl && flagFile) throw new UserError(`--ssl makes its own certificate: leave out --${dashed(flagFile)}, or --ssl`);
  const fileFile = CERTIFICATE_FLAGS.find((key) => config[key] !== undefined);
  if (config.ssl && fileFile) throw new UserError(`${configPath}: "ssl" makes its own certificate: leave out "${fileFile}", or "ssl"`);
  return args.ssl ?? (flagFile === undefined && config.ssl === true);
}

/** The settings from the parsed flags, the environment and the config file already read. */
export function settingsFrom(args: CliArgs, env: Environment, loaded: LoadedConfig): Settings {
  const { port, host, listen, strictPort, quiet, logFormat, logFile, workers, ssl, sslCert, sslKey, sslPass, http2, public: publicDir, ...fileOptions } = loaded.config;
  const configDir = loaded.path === undefined ? undefined : dirname(loaded.path);
  // Paths in the config file are relative to the file; on the command line, to the current directory.
  const fromConfig = (path: string | undefined): string | undefined => (path === undefined ? undefined : resolve(configDir!, path));
  const ownCertificate = selfSigned(args, { ssl, sslCert, sslKey, sslPass }, loaded.path);
  const files = tlsFiles(args.sslCert ?? fromConfig(sslCert), args.sslKey ?? fromConfig(sslKey), args.sslPass ?? fromConfig(sslPass), (alone) =>
    new UserError(`--ssl-${alone} needs --ssl-cert`),
  );
  const handlerOptions = { ...handlerOptionsFrom(args, env, fileOptions), root: rootFrom(args.dir, publicDir, loaded.path), configFile: loaded.path };
  return {
    endpoints: endpointsFrom(args, env, { port, host, listen }, configDir),
    strictPort: args.strictPort ?? strictPort ?? false,
    quiet: args.quiet ?? quiet ?? false,
    logFormat: args.logFormat !== undefined ? parseLogFormat(args.logFormat) : (logFormat ?? 'dev'),
    logFile: args.logFile !== undefined ? resolve(args.logFile) : fromConfig(logFile),
    open: args.open === undefined ? undefined : `/${args.open.replace(/^\/+/, '')}`,
    workers: parseWorkers(args.workers ?? (workers === undefined ? undefined : String(workers))),
    configPath: loaded.path,
    tls: ownCertificate ? SELF_SIGNED : files,
    http2: args.http2 ?? http2 ?? true,
    qr: args.qr ?? false,
    handlerOptions,
  };
}

/** The settings, with the config file found from the flags (`--config`, or one in the served directory). */
export function loadSettings(args: CliArgs, env: Environment): Settings {
  return settingsFrom(args, env, loadConfig(resolve(args.dir), args.config));
}
