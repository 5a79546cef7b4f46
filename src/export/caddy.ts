// The Caddy writer: a site as one Caddyfile site block.
import type { Site, Written } from './site.js';

/** A token as the Caddyfile reads it inside double quotes. */
function quoted(text: string): string {
  return `"${text.replace(/[\\"]/g, (char) => `\\${char}`)}"`;
}

export function writeCaddy(site: Site): Written {
  const notes: string[] = [];
  const listen = site.endpoints.find((endpoint) => endpoint.kind === 'tcp');
  const lines = [`:${listen?.kind === 'tcp' ? listen.port : 80} {`, `\troot * ${quoted(site.root)}`, '\tfile_server', '}'];
  return { text: `${lines.join('\n')}\n`, notes };
}
