// The nginx writer: a site as a `server { … }` block (and the http-level lines it needs), to be
// included in nginx's `http { … }` block.
import type { Site, Written } from './site.js';

/** A string as nginx reads it inside double quotes. */
function quoted(text: string): string {
  return `"${text.replace(/[\\"]/g, (char) => `\\${char}`)}"`;
}

export function writeNginx(site: Site): Written {
  const notes: string[] = [];
  const listen = site.endpoints.find((endpoint) => endpoint.kind === 'tcp');
  const lines = [
    'server {',
    `    listen ${listen?.kind === 'tcp' ? listen.port : 80};`,
    `    root ${quoted(site.root)};`,
    '}',
  ];
  return { text: `${lines.join('\n')}\n`, notes };
}
