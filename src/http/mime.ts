// Content-Type for a file: mime-types' database by file name, plus a UTF-8 charset for every textual
// type; for names that do not tell (no known extension, `.ts`), the first bytes decide.
import { extname } from 'node:path';
import { lookup } from 'mime-types';

const FALLBACK_TYPE = 'application/octet-stream';
const TEXT_TYPE = 'text/plain; charset=utf-8';
const MPEG_TS_TYPE = 'video/mp2t';
/** How many leading bytes `typeFromBytes` looks at. */
export const SNIFF_BYTES = 1024;

/**
 * Where the database's answer would mislead a browser. `.cjs` is JavaScript (`application/node` is
 * refused as a script under nosniff). `.ts` and `.mts` are TypeScript far more often than MPEG
 * transport streams in a site: left to the bytes (`undefined`).
 */
const BY_NAME: Record<string, string | undefined> = {
  '.cjs': 'text/javascript; charset=utf-8',
  '.ts': undefined,
  '.mts': undefined,
};

const byExtension = new Map<string, string | undefined>();

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

/**
 * The Content-Type header value for a file path, from its name alone; undefined when only its bytes
 * can tell (see `typeFromBytes`). Computed once per extension.
 */
export function typeFromName(filePath: string): string | undefined {
  const extension = extname(filePath).toLowerCase();
  if (byExtension.has(extension)) return byExtension.get(extension);
  let value: string | undefined;
  if (extension in BY_NAME) {
    value = BY_NAME[extension];
  } else {
    const type = extension ? lookup(extension) : false;
    value = type ? (isTextual(type) ? `${type}; charset=utf-8` : type) : undefined;
  }
  byExtension.set(extension, value);
  return value;
}

/** An MPEG transport stream: a sync byte every 188 bytes, or every 192 after a 4-byte timecode (M2TS). */
function isTransportStream(head: Buffer, size: number): boolean {
  const packets = (start: number, length: number): boolean => {
    if (size < start + length) return false;
    for (let at = start; at < head.length; at += length) if (head[at] !== 0x47) return false;
    return true;
  };
  return packets(0, 188) || packets(4, 192);
}

/**
 * Whether bytes read as text: no NUL, and valid UTF-8 (a character cut at the end of the sample
 * counts as valid). What `file` and editors go by, and what a browser can show as text/plain.
 */
function isText(head: Buffer, truncated: boolean): boolean {
  if (head.includes(0)) return false;
  for (let cut = 0; cut <= (truncated ? 3 : 0); cut += 1) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, head.length - cut));
      return true;
    } catch {
      // perhaps a multi-byte character cut by the sample's end: try without its bytes
    }
  }
  return false;
}

/**
 * The type of a file whose name does not tell, from its first bytes (`head`, up to SNIFF_BYTES) and
 * size: `.ts`/`.mts` that are transport streams are video; text is text/plain (source files such as
 * `.vue`, `.tsx`, `Makefile` then show in the browser instead of downloading); the rest is
 * application/octet-stream.
 */
export function typeFromBytes(filePath: string, head: Buffer, size: number): string {
  const extension = extname(filePath).toLowerCase();
  if ((extension === '.ts' || extension === '.mts') && isTransportStream(head, size)) return MPEG_TS_TYPE;
  return isText(head, size > head.length) ? TEXT_TYPE : FALLBACK_TYPE;
}
