// Streaming bodies: file bytes (whole or one range), multipart/byteranges, on-the-fly compression.
// Every body is exactly as long as announced, and every descriptor is released on end or abort.
import { Readable, Transform, pipeline, type TransformCallback } from 'node:stream';
import { constants as zlib, createBrotliCompress, createGzip } from 'node:zlib';
import type { ServerResponse } from 'node:http';
import type { FileHandle } from 'node:fs/promises';
import type { ByteRange, Multipart } from './range.js';
import type { Coding } from '../types.js';
import { BROTLI_QUALITY, GZIP_LEVEL } from './encoding.js';

/** Read size for file bodies: fewer, larger reads than the 64 KiB default for big files. */
const READ_CHUNK = 256 * 1024;

/** Fails the pipeline when the source ends before `expected` bytes (the file shrank). */
class ExactLength extends Transform {
  private remaining: number;

  constructor(expected: number) {
    super();
    this.remaining = expected;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.remaining -= chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    callback(this.remaining > 0 ? new Error(`file shrank by ${this.remaining} bytes while being sent`) : null);
  }
}

/**
 * True when the client is gone before the body starts. node:http2's compatibility response has no
 * `destroyed`: its stream tells (reset or closed), and a pipeline into it would then never finish.
 */
export function clientGone(res: ServerResponse): boolean {
  const stream = (res as { stream?: { destroyed: boolean; closed: boolean } }).stream;
  return res.destroyed || stream?.destroyed === true || stream?.closed === true;
}

// On failure pipeline has already destroyed every stream: the file stream (closing the handle) and
// the response (closing the connection, so a short body is never taken for a complete one). A client
// that went away is not an error worth reporting.
const ignore = (): void => {};

/**
 * Streams bytes `start..end` (inclusive) of an open file into `res`, whose headers are written. A
 * file that grows is cut at `end`; one that shrinks destroys the connection.
 */
export function streamFile(handle: FileHandle, { start, end }: ByteRange, res: ServerResponse): void {
  const file = handle.createReadStream({ start, end, highWaterMark: READ_CHUNK });
  pipeline(file, new ExactLength(end - start + 1), res, ignore);
}

/** Streams a whole file of `size` bytes through a brotli or gzip compressor into `res`. */
export function streamCompressed(handle: FileHandle, size: number, coding: Coding, res: ServerResponse): void {
  const file = handle.createReadStream({ start: 0, end: size - 1, highWaterMark: READ_CHUNK });
  const compressor =
    coding === 'br'
      ? createBrotliCompress({
          params: { [zlib.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [zlib.BROTLI_PARAM_SIZE_HINT]: size },
        })
      : createGzip({ level: GZIP_LEVEL });
  pipeline(file, new ExactLength(size), compressor, res, ignore);
}

/** Streams a multipart/byteranges body: each part's header, then its bytes, then the closing line. */
export function streamMultipart(handle: FileHandle, ranges: ByteRange[], framing: Multipart, res: ServerResponse): void {
  // Plain positioned reads on the one handle: a read stream per part would leave a listener on the
  // handle for every part until it closes.
  async function* parts(): AsyncGenerator<Buffer> {
    for (const [index, { start, end }] of ranges.entries()) {
      yield Buffer.from(framing.partHeaders[index]!);
      for (let position = start; position <= end; ) {
        const length = Math.min(READ_CHUNK, end - position + 1);
        const { bytesRead, buffer } = await handle.read(Buffer.allocUnsafe(length), 0, length, position);
        if (bytesRead === 0) return; // the file shrank: ExactLength fails the response
        position += bytesRead;
        yield buffer.subarray(0, bytesRead);
      }
    }
    yield Buffer.from(framing.closing);
  }
  pipeline(Readable.from(parts()), new ExactLength(framing.length), res, () => {
    void handle.close().catch(ignore);
  });
}
