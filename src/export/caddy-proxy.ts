// The Caddy writer's proxies: --proxy prefixes (absolute, before the base) and the fallback target,
// each a reverse_proxy that sends what tiny-serve's proxy sends and makes the target's Locations local.
import { compileProxyRules } from '../features/proxy.js';
import type { CompiledRule } from '../features/proxy-forward.js';
import { block, comment, escapeBraces, literal, regexLiteral, regexToken, token } from './caddy-syntax.js';
import { noteOnce, pathRegex, type Context } from './caddy-context.js';
import { authStep, fixedHeaders, optionHeadersSet } from './caddy-headers.js';

/** The rules compiled as the server compiles them: longest prefix first, so a longer one is matched before it. */
function proxyRules(context: Context): CompiledRule[] {
  return compileProxyRules(context.site.options.proxy ?? []);
}

export function proxyFallback(context: Context): CompiledRule | undefined {
  return proxyRules(context).find((rule) => rule.prefix === undefined);
}

/** --proxy prefixes: absolute (before the base), guarded by --auth, their answers passed on as they are. */
export function proxySteps(context: Context): string[] {
  const lines: string[] = [];
  proxyRules(context).forEach((rule, index) => {
    if (rule.prefix === undefined) return;
    const name = `proxy_${index + 1}`;
    const prefix = rule.prefix;
    lines.push(...comment(`--proxy ${prefix}`), `@${name} ${pathRegex(name, `^${prefix === '/' ? '' : regexLiteral(prefix)}(?:/|$)`)}`);
    lines.push(...block(`route @${name}`, [...authStep(context), ...proxyLines(context, rule)]));
  });
  const fallback = proxyFallback(context);
  if (fallback) {
    lines.push(
      ...comment(`--proxy ${fallback.label}: every method but GET and HEAD, and WebSocket upgrades (what has no file, below).`),
      ...block('@proxy_fallback_requests', block('not', ['method GET HEAD', 'not header Upgrade *'])),
      ...block('route @proxy_fallback_requests', [...authStep(context), ...proxyLines(context, fallback)]),
    );
    if (optionHeadersSet(context)) noteOnce(context, "the --proxy fallback's answers for paths with no file carry the option headers (--header, CORS, isolation, header rules); tiny-serve passes them on as the backend sent them.");
  }
  if (lines.length > 0) noteOnce(context, 'proxied answers: Caddy keeps Set-Cookie domains of the target as they are and adds no Via header.');
  return lines.length > 0 ? [...lines, ''] : [];
}

/** One reverse_proxy to a rule's target: its host as Host (unless keepHost), its path in front, its Locations made local. */
export function proxyLines(context: Context, rule: CompiledRule): string[] {
  const path = rule.basePath;
  const isolation = context.settings.crossOriginIsolated
    ? [...fixedHeaders(context.settings, context.site.options.header ?? []).values()]
        .filter(([key]) => /^cross-origin-(opener|embedder)-policy$/i.test(key))
        .map(([key, value]) => `header ?${key} ${literal(value)}`)
    : [];
  const settings = [
    ...(rule.keepHost ? [] : ['header_up Host {upstream_hostport}']),
    ...(context.site.options.auth === undefined ? [] : ['header_up -Authorization']),
    `header_down Location ${regexToken(`^${regexLiteral(rule.origin)}${path === '' ? '' : `(?:${regexLiteral(path)})?`}(/|$)`)} /`,
    ...block('transport http', [`response_header_timeout ${rule.timeoutMs / 1000}s`, ...(rule.protocol === 'https:' ? ['tls'] : []), ...(!rule.secure ? ['tls_insecure_skip_verify'] : [])]),
  ];
  return [...isolation, ...(path === '' ? [] : [`rewrite * ${token(`${escapeBraces(path)}{uri}`)}`]), ...block(`reverse_proxy ${token(rule.host)}`, settings)];
}
