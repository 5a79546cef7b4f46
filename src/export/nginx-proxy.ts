// The nginx writer's proxies (`--proxy /api=http://…`, config `proxy`): an upstream per target,
// a location per prefix (matched on whole segments, before the base, before every file step), and
// the fallback target as the named location that missing paths and other methods end in.
import { compileProxyRules } from '../features/proxy.js';
import type { CompiledRule as Rule } from '../features/proxy-forward.js';
import type { Context } from './nginx-context.js';
import { Block, escapeRegex, interpolated, literal, regex } from './nginx-syntax.js';

export interface ProxyParts {
  /** The prefixes proxied, normalized (`/api`). */
  prefixes: string[];
  hasFallback: boolean;
  /** `@ts…_proxy`: the fallback's named location. */
  fallbackLocation: string;
  /** Upstreams and maps, at http level. */
  http(out: Block): void;
  /** The server-level lines (the fallback's error_page for other methods). */
  steps(out: Block): void;
  /** The proxy locations. */
  locations(out: Block): void;
}

const parts = new WeakMap<Context, ProxyParts>();

/** The proxy parts of a site, made once per export. */
export function proxyParts(context: Context): ProxyParts {
  let found = parts.get(context);
  if (!found) parts.set(context, (found = makeParts(context)));
  return found;
}

function makeParts(context: Context): ProxyParts {
  const v = context.names.variable;
  // Compiled as the server compiles them: longest prefix first, so a longer one is matched before it.
  const rules = compileProxyRules(context.site.options.proxy ?? []);
  const prefixed = rules.filter((rule) => rule.prefix !== undefined);
  const fallback = rules.find((rule) => rule.prefix === undefined);
  const upstream = (index: number): string => v(`backend_${index}`).slice(1);
  const fallbackLocation = `@${v('proxy').slice(1)}`;
  return {
    prefixes: prefixed.map((rule) => rule.prefix!),
    hasFallback: fallback !== undefined,
    fallbackLocation,
    http(out) {
      if (rules.length === 0) return;
      out.line();
      out.comment('Proxy targets; WebSocket upgrades pass through.');
      rules.forEach((rule, index) => out.block(`upstream ${upstream(index)}`, (inner) => inner.line(`server ${literal(`${bracketed(rule.hostname)}:${rule.port}`)};`)));
      out.block(`map $http_upgrade ${v('connection')}`, (inner) => inner.line('"" "";').line('default upgrade;'));
      if (context.settings.crossOriginIsolated) {
        out.comment("--cross-origin-isolated: a proxied answer gets COOP and COEP when the backend sends none.");
        out.block(`map $upstream_http_cross_origin_opener_policy ${v('proxy_coop')}`, (inner) => inner.line('"" same-origin;').line('default "";'));
        out.block(`map $upstream_http_cross_origin_embedder_policy ${v('proxy_coep')}`, (inner) => inner.line('"" require-corp;').line('default "";'));
      }
    },
    steps(out) {
      if (fallback) out.line(`error_page 418 = ${fallbackLocation};`);
    },
    locations(out) {
      rules.forEach((rule, index) => {
        const body = (inner: Block): void => proxyBody(context, rule, upstream(index), inner);
        if (rule.prefix === undefined) {
          out.comment(`Fallback target ${rule.label}: what the site has no file for, and methods other than GET and HEAD.`);
          out.block(`location ${fallbackLocation}`, body);
        } else {
          out.comment(`Proxied to ${rule.label}: ${rule.prefix} and below, before any file step.`);
          out.block(`location ${regex(prefixRegex(rule.prefix))}`, body);
        }
        out.line();
      });
    },
  };
}

/** The paths under a prefix, on whole segments: `/api` takes `/api`, `/api/…`, never `/apix`. */
export function prefixRegex(prefix: string): string {
  return `^${escapeRegex(prefix === '/' ? '' : prefix)}(?:/|$)`;
}

function bracketed(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** One proxied location: the request as it came (after the target's path), its answer as it comes back. */
function proxyBody(context: Context, rule: Rule, upstream: string, out: Block): void {
  const v = context.names.variable;
  const quote = (text: string): string => interpolated(text, context.names);
  const scheme = rule.protocol === 'https:' ? 'https' : 'http';
  out.line(rule.basePath === '' ? `proxy_pass ${scheme}://${upstream};` : `proxy_pass ${quote(`${scheme}://${upstream}${rule.basePath}`).slice(0, -1)}$request_uri";`);
  out.line(`proxy_set_header Host ${rule.keepHost ? '$http_host' : quote(rule.host)};`);
  out.line('proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;');
  out.line('proxy_set_header X-Forwarded-Proto $scheme;');
  out.line('proxy_set_header X-Forwarded-Host $http_host;');
  if (context.site.options.auth !== undefined) {
    out.comment('The credentials are for this server, never passed on.');
    out.line('proxy_set_header Authorization "";');
  }
  out.line('proxy_http_version 1.1;');
  out.line('proxy_set_header Upgrade $http_upgrade;');
  out.line(`proxy_set_header Connection ${v('connection')};`);
  out.line(`proxy_read_timeout ${Math.max(1, Math.ceil(rule.timeoutMs / 1000))}s;`);
  out.comment('Streamed both ways, never compressed or cached here.');
  out.line('proxy_buffering off;');
  out.line('proxy_request_buffering off;');
  out.line('gzip off;');
  out.line('charset off;');
  out.comment("The target's absolute Locations point back here.");
  out.line(`proxy_redirect ${quote(`${rule.origin}${rule.basePath}/`)} /;`);
  if (scheme === 'https') {
    out.line('proxy_ssl_server_name on;');
    out.line(`proxy_ssl_name ${quote(rule.hostname)};`);
    if (rule.secure) {
      out.line('proxy_ssl_verify on;');
      out.line('proxy_ssl_trusted_certificate /etc/ssl/certs/ca-certificates.crt;');
    }
  }
  out.comment("The backend's answer goes back as it is: this location's add_header keeps the server's headers off it.");
  if (context.settings.crossOriginIsolated) {
    out.line(`add_header Cross-Origin-Opener-Policy ${v('proxy_coop')} always;`);
    out.line(`add_header Cross-Origin-Embedder-Policy ${v('proxy_coep')} always;`);
  } else out.line('add_header X-Tiny-Serve-Proxied "" always;');
}
