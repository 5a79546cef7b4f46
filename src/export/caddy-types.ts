// The Caddy writer's content types: tiny-serve's exact Content-Type for the web's file extensions,
// which of them vary on Accept-Encoding, and what on-the-fly compression takes.
import { isCompressible } from '../http/encoding.js';
import { contentTypes } from './site.js';
import { block, comment } from './caddy-syntax.js';

/**
 * The extensions whose Content-Type the block sets itself, exactly as tiny-serve sends it (with
 * its charset): the files a site is made of. Any other extension is typed by Caddy's table.
 */
export const WEB_EXTENSIONS = 'html htm shtml css js mjs cjs json map webmanifest jsonld xml svg txt md csv wasm png jpg jpeg gif webp avif ico bmp pdf woff woff2 ttf otf mp4 webm mp3 ogg wav';

/** The Content-Type matchers: one per type tiny-serve sends for the web's file extensions. */
export function typeMatchers(): string[] {
  const byType = webTypes();
  const lines = comment("Content types exactly as tiny-serve sends them (a charset for text); other extensions get Caddy's.");
  for (const [type, extensions] of byType) {
    lines.push(`@${typeName(type)} path ${extensions.map((extension) => `*.${extension}`).join(' ')}`);
  }
  const compressible = [...byType].filter(([type]) => isCompressible(type)).flatMap(([, extensions]) => extensions);
  lines.push(...comment('Types worth compressing: their answers vary on Accept-Encoding.'), `@compressible path ${compressible.map((extension) => `*.${extension}`).join(' ')}`);
  return lines;
}

/** The web extensions by the Content-Type tiny-serve sends for them. */
export function webTypes(): Map<string, string[]> {
  const byType = new Map<string, string[]>();
  const types = contentTypes();
  for (const extension of WEB_EXTENSIONS.split(' ')) {
    const type = types.get(extension);
    if (type !== undefined) byType.set(type, [...(byType.get(type) ?? []), extension]);
  }
  return byType;
}

export function typeName(type: string): string {
  return `type_${type.split(';')[0]!.replace(/[^A-Za-z0-9]+/g, '_')}`;
}

/** On-the-fly gzip for what tiny-serve compresses, from 1 KiB (Caddy has no brotli encoder). */
export function encodeLines(): string[] {
  const types = [...new Set([...contentTypes().values()].filter(isCompressible).map((type) => type.split(';')[0]!))];
  const web = new Set([...webTypes().keys()].map((type) => type.split(';')[0]));
  const listed = ['text/*', ...types.filter((type) => web.has(type) && !type.startsWith('text/')).map((type) => `${type}*`)];
  return block('encode gzip', ['minimum_length 1024', ...block('match', listed.map((type) => `header Content-Type ${type}`))]);
}
