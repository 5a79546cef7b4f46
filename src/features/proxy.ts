// The dev proxy (`--proxy`, config `proxy`): rules checked and compiled once, and the routing step
// of the pipeline: a path under a prefix, or (with a bare target) a request the site has no file
// for, goes to its backend with node's own HTTP client. Only configured targets are ever contacted.
import { Agent, request as httpRequest, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Agent as HttpsAgent, RequestOptions } from 'node:https';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import { UserError } from '../errors.js';
import { ABSOLUTE_FORM, encodeQuery, locationFor, type Target } from '../http/target.js';
import type { ProxyRule } from '../types.js';
import { forwardExchange, type CompiledRule, type ExchangeContext } from './proxy-forward.js';
import { forwardUpgrade, isUpgrade } from './proxy-upgrade.js';

export { proxyNote, type ProxyNote } from './proxy-forward.js';

/** Seconds a backend may stay silent before it has answered. */
export const DEFAULT_PROXY_TIMEOUT = 30;
const MIN_TIMEOUT = 0.001;
const MAX_TIMEOUT = 2_147_483;

type ParsedTarget = Extract<Target, { ok: true }>;

/** A prefix as given (`/api`, `/api/`) → its normalized form, or a UserError. */
function normalizePrefix(prefix: string): string {
  if (typeof prefix !== 'string' || !prefix.startsWith('/')) throw new UserError(`proxy prefix ${JSON.stringify(prefix)} must start with /`);
  const segments = prefix.split('/').slice(1);
  if (/[?#\\\0]/.test(prefix) || segments.some((segment) => segment === '.' || segment === '..')) {
    throw new UserError(`proxy prefix ${JSON.stringify(prefix)} must be a plain path (no ?, #, \\ or dot segments)`);
  }
  const trimmed = prefix.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed.replace(/\/{2,}/g, '/');
}

/** A target URL → its parts, or a UserError: http(s) only, a host, no credentials, no query. */
function parseProxyTarget(target: string): Pick<CompiledRule, 'protocol' | 'hostname' | 'port' | 'host' | 'origin' | 'basePath' | 'label'> {
  const shown = JSON.stringify(target);
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new UserError(`proxy target ${shown} must be an http:// or https:// URL`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw new UserError(`proxy target ${shown} must be an http:// or https:// URL`);
  }
  if (url.username !== '' || url.password !== '') throw new UserError(`proxy target ${shown} must not carry a user or password`);
  if (url.search !== '' || url.hash !== '' || target.includes('?') || target.includes('#')) {
    throw new UserError(`proxy target ${shown} must not carry a query or fragment`);
  }
  const basePath = url.pathname.replace(/\/+$/, '');
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  return { protocol: url.protocol, hostname: url.hostname.replace(/^\[|\]$/g, ''), port, host: url.host, origin: url.origin, basePath, label: `${url.origin}${basePath}` };
}

/** Checks one rule (a UserError saying what is wrong) and does its option work. */
export function compileProxyRule(rule: ProxyRule): CompiledRule {
  const { prefix, target, keepHost = false, timeout = DEFAULT_PROXY_TIMEOUT, secure = true } = rule;
  if (typeof target !== 'string') throw new UserError('a proxy rule needs a target URL');
  // Timers take whole milliseconds up to 2^31 - 1: outside that, node turns the timer off or warns.
  if (typeof timeout !== 'number' || !(timeout >= MIN_TIMEOUT && timeout <= MAX_TIMEOUT)) {
    throw new UserError(`proxy timeout must be a number of seconds from ${MIN_TIMEOUT} to ${MAX_TIMEOUT}, got ${String(timeout)}`);
  }
  const normalized = prefix === undefined ? undefined : normalizePrefix(prefix);
  return {
    prefix: normalized,
    rawPrefix: normalized === undefined ? undefined : locationFor(normalized, ''),
    ...parseProxyTarget(target),
    keepHost: keepHost === true,
    timeoutMs: Math.round(timeout * 1000),
    secure: secure !== false,
  };
}

/** Every rule compiled; one fallback at most, each prefix once. Longest prefixes first. */
export function compileProxyRules(rules: ProxyRule[]): CompiledRule[] {
  const compiled = rules.map(compileProxyRule);
  const seen = new Set<string>();
  for (const { prefix } of compiled) {
    const key = prefix ?? '(fallback)';
    if (seen.has(key)) throw new UserError(prefix === undefined ? 'only one proxy target without a prefix' : `proxy prefix ${prefix} given twice`);
    seen.add(key);
  }
  return compiled.sort((a, b) => (b.prefix?.length ?? -1) - (a.prefix?.length ?? -1));
}

/** `--proxy /api=http://host:port`, or `--proxy http://host:port` for the fallback. */
export function parseProxyFlag(text: string): ProxyRule {
  if (/^[^:/]*=/.test(text)) throw new UserError(`proxy prefix ${JSON.stringify(text.slice(0, text.indexOf('=')))} must start with /`);
  if (!text.startsWith('/')) {
    compileProxyRule({ target: text });
    return { target: text };
  }
  const equals = text.indexOf('=');
  if (equals === -1) throw new UserError(`--proxy ${JSON.stringify(text)}: use /prefix=http://host:port, or http://host:port alone`);
  const rule = { prefix: text.slice(0, equals), target: text.slice(equals + 1) };
  compileProxyRule(rule);
  return rule;
}

/** `/api` takes `/api` and `/api/…`, never `/apix`; `/` takes everything. */
function isUnder(path: string, prefix: string): boolean {
  return prefix === '/' || path === prefix || path.startsWith(`${prefix}/`);
}

/** The path part of a raw request target: absolute form, query and fragment taken off. */
function rawPathOf(url: string): string {
  const absolute = url.startsWith('/') ? undefined : ABSOLUTE_FORM.exec(url);
  const rest = absolute ? url.slice(absolute[0].length) || '/' : url;
  return rest.split(/[?#]/, 1)[0]!;
}

/** `.` segments (however encoded) dropped from a raw path; `..` never gets here (parseTarget refuses it). */
function withoutDotSegments(rawPath: string): string {
  return rawPath
    .split('/')
    .filter((segment, index) => index === 0 || !/^(?:\.|%2e)$/i.test(segment))
    .join('/');
}

/**
 * The path the backend gets. The client's own bytes when that path, as it stands, lies under the
 * matched prefix (the usual case: `/api/users%2F1?x` goes as it came); otherwise (an encoded or
 * doubled slash, `/%61pi/…`) the decoded, normalized path re-encoded, so the backend can never read
 * the path as lying outside the prefix. Both after the target's own path.
 */
function backendPath(req: IncomingMessage, target: ParsedTarget, rule: CompiledRule): string {
  const raw = withoutDotSegments(rawPathOf(req.url ?? '/'));
  const path = rule.rawPrefix === undefined || (raw.startsWith('/') && isUnder(raw, rule.rawPrefix)) ? raw : locationFor(target.path, '');
  return `${rule.basePath}${encodeQuery(path)}${encodeQuery(target.query)}`;
}

export interface Proxy {
  /**
   * The rule that takes a request before any file step: the longest prefix it lies under, or (with
   * a fallback target) one the site could not answer with a file: a method other than GET and HEAD,
   * or an upgrade (WebSocket: no file ever answers one). Undefined: the site's.
   */
  ruleFor(req: IncomingMessage, target: ParsedTarget): CompiledRule | undefined;
  /** The fallback target's rule, for a request the site has no file for; undefined without one. */
  readonly fallbackRule: CompiledRule | undefined;
  /** Sends the request to the rule's backend and its answer back. */
  forward(req: IncomingMessage, res: ServerResponse, target: ParsedTarget, rule: CompiledRule): void;
  /** Ends open tunnels and idle backend connections; exchanges in flight finish. */
  close(): void;
}

// node:https (with node:tls) only loads for an https target. The require is made on first use too:
// `tiny-serve export` compiles rules with this module inside a CommonJS bundle, where import.meta is empty.
let load: NodeJS.Require | undefined;
const https = (): typeof import('node:https') => (load ??= createRequire(import.meta.url))('node:https');

/**
 * The proxy for `rules` (undefined when there are none). `dropAuthorization`: the server's --auth
 * consumed the Authorization header, so backends never see those credentials. `answerDefaults`:
 * lower-cased headers an answer gets when the backend sent none of that name.
 */
export function createProxy(
  rules: ProxyRule[] | undefined,
  { dropAuthorization, answerDefaults = {} }: { dropAuthorization: boolean; answerDefaults?: Record<string, string> },
): Proxy | undefined {
  if (!rules || rules.length === 0) return undefined;
  const compiled = compileProxyRules(rules);
  const prefixed = compiled.filter((rule) => rule.prefix !== undefined);
  const fallbackRule = compiled.find((rule) => rule.prefix === undefined);
  const tunnels = new Set<Duplex>();
  let closed = false;
  const httpAgent = new Agent({ keepAlive: true });
  let httpsAgent: HttpsAgent | undefined;
  // Once closed, a connection that comes back idle is closed instead of kept.
  const closeWhenFree = (agent: Agent): void => void agent.on('free', (socket: Duplex) => closed && socket.destroy());
  closeWhenFree(httpAgent);
  const context: ExchangeContext = {
    dropAuthorization,
    answerDefaults,
    agentFor(rule) {
      if (rule.protocol === 'http:') return httpAgent;
      if (!httpsAgent) {
        httpsAgent = new (https().Agent)({ keepAlive: true });
        closeWhenFree(httpsAgent);
      }
      return httpsAgent;
    },
    requestFn(rule): (options: RequestOptions) => ClientRequest {
      return rule.protocol === 'http:' ? httpRequest : https().request;
    },
  };

  return {
    fallbackRule,
    ruleFor(req, target) {
      const rule = prefixed.find(({ prefix }) => isUnder(target.path, prefix!));
      if (rule) return rule;
      const notForFiles = (req.method !== 'GET' && req.method !== 'HEAD') || isUpgrade(req);
      return notForFiles ? fallbackRule : undefined;
    },
    forward(req, res, target, rule) {
      const path = backendPath(req, target, rule);
      if (isUpgrade(req)) forwardUpgrade(req, res, rule, context, path, tunnels);
      else forwardExchange(req, res, rule, context, path);
    },
    close() {
      closed = true;
      for (const socket of tunnels) socket.destroy();
      tunnels.clear();
      for (const agent of [httpAgent, httpsAgent]) {
        for (const sockets of Object.values(agent?.freeSockets ?? {})) for (const socket of sockets ?? []) socket.destroy();
      }
    },
  };
}
