// Content-Type for a file name: mime-types' database, plus a UTF-8 charset for every textual type.
import { extname } from 'node:path';
import { lookup } from 'mime-types';

const FALLBACK_TYPE = 'application/octet-stream';
const byExtension = new Map<string, string>();

/** Types that are text but that mime-types gives no charset (SVG, XML, `+json`). */
function isTextual(type: string): boolean {
  return (
    type.startsWith('text/') ||
    type === 'application/javascript' ||
    type === 'application/json' ||
    type === 'application/xml' ||
    type.endsWith('+xml') ||
    type.endsWith('+json')
  );
}

/** The Content-Type header value for a file path; computed once per extension. */
export function contentTypeFor(filePath: string): string {
  const extension = extname(filePath).toLowerCase();
  let value = byExtension.get(extension);
  if (value === undefined) {
    const type = (extension && lookup(extension)) || FALLBACK_TYPE;
    value = isTextual(type) ? `${type}; charset=utf-8` : type;
    byExtension.set(extension, value);
  }
  return value;
}
