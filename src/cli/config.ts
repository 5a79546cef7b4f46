// The config file: `tiny-serve.json` (or serve's `serve.json`) in the served directory, or
// `--config <path>`. Validated strictly at startup: any problem is one error naming the file and key.
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseCredentials } from '../handler/auth.js';
import { isPort, parseEndpoint } from '../server/endpoints.js';
import { compilePattern } from '../http/patterns.js';
import { parseHeaderFlag, validateHeader } from '../handler/response-headers.js';
import { compileProxyRule } from '../features/proxy.js';
import type { HandlerOptions, HeaderRule, ProxyRule, Redirect, Rewrite } from '../types.js';
import { CONFIG_FILE_NAMES } from '../handler/config-names.js';
import { parseBase } from '../handler/base-path.js';
import { UserError } from '../errors.js';
import { LOG_FORMATS, type LogFormat } from './log-formats.js';

export { CONFIG_FILE_NAMES };

/** Everything a config file can set: the CLI's options (camelCase) and the rules. */
export interface FileConfig extends Omit<HandlerOptions, 'root' | 'onError' | 'configFile'> {
  port?: number;
  host?: string;
  strictPort?: boolean;
  quiet?: boolean;
  logFormat?: LogFormat;
  /** The request log's file, relative to the config file. */
  logFile?: string;
  workers?: number | 'auto';
  /** Listen endpoints, as `--listen` takes them. */
  listen?: string[];
  /** HTTPS with a self-signed certificate made and kept by tiny-serve (`--ssl`); not with `sslCert`. */
  ssl?: boolean;
  /** TLS files, relative to the config file. */
  sslCert?: string;
  sslKey?: string;
  sslPass?: string;
  http2?: boolean;
  /** serve's `public`: the directory to serve, relative to the served directory (or absolute). */
  public?: string;
}

/** A loaded config: the file read (undefined when there is none) and what it sets. */
export interface LoadedConfig {
  path: string | undefined;
  config: FileConfig;
}

type Check = (value: unknown, key: string) => unknown;

function fail(key: string, expected: string): never {
  throw new UserError(`"${key}" must be ${expected}`);
}

/** Runs `check`; a UserError from it gets `context` in front (the key, or the file, it is about). */
function within<T>(context: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof UserError) throw new UserError(`${context}: ${error.message}`);
    throw error;
  }
}

const isBoolean: Check = (value, key) => (typeof value === 'boolean' ? value : fail(key, 'true or false'));
const isString: Check = (value, key) => (typeof value === 'string' ? value : fail(key, 'a string'));
const isSeconds: Check = (value, key) =>
  Number.isInteger(value) && (value as number) >= 0 ? value : fail(key, 'a whole number of seconds');
const isBooleanOrString: Check = (value, key) =>
  typeof value === 'boolean' || typeof value === 'string' ? value : fail(key, 'true, false or a file name');

function isPattern(value: unknown, key: string): string {
  const source = isString(value, key) as string;
  within(`"${key}"`, () => compilePattern(source));
  return source;
}

/** serve's `cleanUrls` and `directoryListing`: on, off, or on for the paths matching a list of patterns. */
function isBooleanOrPatterns(value: unknown, key: string): boolean | string[] {
  if (typeof value === 'boolean') return value;
  if (!Array.isArray(value)) fail(key, 'true, false or a list of patterns');
  return isArrayOf(isPattern)(value, key);
}

const isDirectoryName: Check = (value, key) => (typeof value === 'string' && value !== '' ? value : fail(key, 'a directory path'));
const isFilePath: Check = (value, key) => (typeof value === 'string' && value !== '' ? value : fail(key, 'a file path'));

function isArrayOf<T>(check: (item: unknown, key: string) => T): (value: unknown, key: string) => T[] {
  return (value, key) => (Array.isArray(value) ? value.map((item, index) => check(item, `${key}[${index}]`)) : fail(key, 'a list'));
}

function isObject(value: unknown, key: string, allowed: string[]): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(key, 'an object');
  for (const name of Object.keys(value)) {
    if (!allowed.includes(name)) throw new UserError(`unknown key "${key}.${name}"`);
  }
  return value as Record<string, unknown>;
}

/** A path (`/new/:slug`) or an absolute http(s) URL, with nothing a header could not carry. */
function isDestination(value: unknown, key: string): string {
  const text = isString(value, key) as string;
  if (!(text.startsWith('/') || /^https?:\/\/[^/\\]/i.test(text)) || /[\s\x00-\x1f\x7f]/.test(text)) {
    fail(key, 'a path starting with / or an http(s) URL, without spaces or control characters');
  }
  return text;
}

/** A listen endpoint (`"3000"`, `"tcp://host:port"`, `"unix:/path"`), checked as `--listen` checks it. */
const isEndpoint = (value: unknown, key: string): string => {
  const text = isString(value, key) as string;
  within(`"${key}"`, () => parseEndpoint(text, 'localhost', 0));
  return text;
};

const REDIRECT_STATUSES = [301, 302, 307, 308];

const isRewrite = (value: unknown, key: string): Rewrite => {
  const rule = isObject(value, key, ['source', 'destination']);
  return { source: isPattern(rule.source, `${key}.source`), destination: isDestination(rule.destination, `${key}.destination`) };
};

const isRedirect = (value: unknown, key: string): Redirect => {
  const rule = isObject(value, key, ['source', 'destination', 'type']);
  const type = rule.type ?? 301;
  if (!REDIRECT_STATUSES.includes(type as number)) fail(`${key}.type`, 'one of 301, 302, 307, 308');
  return {
    source: isPattern(rule.source, `${key}.source`),
    destination: isDestination(rule.destination, `${key}.destination`),
    type: type as Redirect['type'],
  };
};

const isHeaderRule = (value: unknown, key: string): HeaderRule => {
  const rule = isObject(value, key, ['source', 'headers']);
  const headers = isArrayOf((item, itemKey) => {
    const header = isObject(item, itemKey, ['key', 'value']);
    const name = isString(header.key, `${itemKey}.key`) as string;
    if (header.value !== null && typeof header.value !== 'string') fail(`${itemKey}.value`, 'a string, or null to remove the header');
    within(`"${itemKey}"`, () => validateHeader(name, header.value as string | null));
    return { key: name, value: header.value as string | null };
  })(rule.headers, `${key}.headers`);
  return { source: isPattern(rule.source, `${key}.source`), headers };
};

const isHeaderFlag = (value: unknown, key: string): string => {
  const text = isString(value, key) as string;
  within(`"${key}"`, () => parseHeaderFlag(text));
  return text;
};

/** The base path, normalised (`repo` → `/repo/`). */
const isBase: Check = (value, key) => parseBase(isString(value, key) as string, `"${key}"`);

const isAuth: Check = (value, key) => {
  const text = isString(value, key) as string;
  return within(`"${key}"`, () => parseCredentials(text));
};

/** One proxy rule's options: a target URL, or `{ target, keepHost?, timeout?, secure? }`. */
function isProxyRule(prefix: string | undefined, value: unknown, key: string): ProxyRule {
  let rule: ProxyRule;
  if (typeof value === 'string') rule = { target: value };
  else {
    const options = isObject(value, key, ['target', 'keepHost', 'timeout', 'secure']);
    rule = { target: isString(options.target, `${key}.target`) as string };
    if (options.keepHost !== undefined) rule.keepHost = isBoolean(options.keepHost, `${key}.keepHost`) as boolean;
    if (options.timeout !== undefined) {
      if (typeof options.timeout !== 'number' || !(options.timeout > 0)) fail(`${key}.timeout`, 'a positive number of seconds');
      rule.timeout = options.timeout;
    }
    if (options.secure !== undefined) rule.secure = isBoolean(options.secure, `${key}.secure`) as boolean;
  }
  if (prefix !== undefined) rule.prefix = prefix;
  within(`"${key}"`, () => compileProxyRule(rule));
  return rule;
}

/** `"proxy": { "/api": "http://…", "/ws": { "target": "http://…", "timeout": 5 }, "*": "http://…" }`; `*` is the fallback. */
const isProxyTable = (value: unknown, key: string): ProxyRule[] => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(key, 'an object of path prefixes to target URLs');
  return Object.entries(value).map(([prefix, rule]) => isProxyRule(prefix === '*' ? undefined : prefix, rule, `${key}.${prefix}`));
};

/** Every key a config file may hold, with its check. `directoryListing` is serve's name for `listing`. */
const SCHEMA: Record<string, Check> = {
  port: (value, key) => (isPort(value) ? value : fail(key, 'a port number from 0 to 65535')),
  host: isString,
  listen: (value, key) => isArrayOf(isEndpoint)(typeof value === 'string' || typeof value === 'number' ? [String(value)] : value, key),
  strictPort: isBoolean,
  quiet: isBoolean,
  logFormat: (value, key) => (LOG_FORMATS.includes(value as LogFormat) ? value : fail(key, `one of ${LOG_FORMATS.join(', ')}`)),
  logFile: isFilePath,
  workers: (value, key) =>
    value === 'auto' || (Number.isInteger(value) && (value as number) >= 1) ? value : fail(key, 'a whole number from 1, or "auto"'),
  compress: isBoolean,
  cache: isSeconds,
  cacheHashed: isBoolean,
  etag: isBoolean,
  fileCache: isBoolean,
  listing: isBooleanOrPatterns,
  directoryListing: isBooleanOrPatterns,
  single: isBooleanOrString,
  cleanUrls: isBooleanOrPatterns,
  base: isBase,
  trailingSlash: isBoolean,
  public: isDirectoryName,
  unlisted: isArrayOf(isPattern),
  renderSingle: isBoolean,
  symlinks: isBoolean,
  cors: isBoolean,
  crossOriginIsolated: isBoolean,
  watch: isBoolean,
  watchIgnore: isArrayOf(isPattern),
  header: isArrayOf(isHeaderFlag),
  auth: isAuth,
  ssl: isBoolean,
  sslCert: isString,
  sslKey: isString,
  sslPass: isString,
  http2: isBoolean,
  rewrites: isArrayOf(isRewrite),
  redirects: isArrayOf(isRedirect),
  headers: isArrayOf(isHeaderRule),
  proxy: isProxyTable,
};

/** Validates a parsed config object; throws a UserError naming the key. */
export function validateConfig(raw: unknown): FileConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new UserError('the file must hold a JSON object');
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    // Own keys only: "constructor" or "__proto__" must be unknown keys, not Object.prototype's.
    if (!Object.hasOwn(SCHEMA, key)) throw new UserError(`unknown key "${key}"`);
    const check = SCHEMA[key]!;
    config[key === 'directoryListing' ? 'listing' : key] = check(value, key);
  }
  return config as FileConfig;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false; // missing, or `root` is no directory: the handler reports that one
  }
}

/**
 * Finds and reads the config: `explicitPath` when given (it must exist), else the first of
 * CONFIG_FILE_NAMES in `root`. Startup only, so synchronous reads are fine here.
 * Errors are thrown as a UserError with the file name in front.
 */
export function loadConfig(root: string, explicitPath?: string): LoadedConfig {
  let path: string | undefined;
  if (explicitPath !== undefined) {
    path = resolve(explicitPath);
    if (!isFile(path)) throw new UserError(`config file not found: ${path}`);
  } else {
    path = CONFIG_FILE_NAMES.map((name) => join(root, name)).find(isFile);
    if (path === undefined) return { path, config: {} };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UserError(`${path}: ${error instanceof SyntaxError ? `invalid JSON: ${error.message}` : (error as Error).message}`);
  }
  return { path, config: within(path, () => validateConfig(raw)) };
}
