// Streaming bodies: file bytes (whole or one range), multipart/byteranges, on-the-fly compression.
// Every body is exactly as long as announced, and every descriptor is released on end or abort.
import { Transform, pipeline, type TransformCallback } from 'node:stream';
import { constants as zlib, createBrotliCompress, createGzip } from 'node:zlib';
import type { ServerResponse } from 'node:http';
import type { FileHandle } from 'node:fs/promises';
import type { ByteRange, Multipart } from './range.js';
import type { Coding } from '../types.js';
import { BROTLI_QUALITY, GZIP_LEVEL } from './encoding.js';

/**
 * Read size for file bodies, and the size of each pooled buffer. Every read is a trip through the
 * thread pool (a thread woken, a promise settled, a drain awaited), which cost more than the copy:
 * 512 KiB pieces streamed 4 MiB files 15-20 % and 16 MiB files 35 % faster than 256 KiB ones, for
 * 4 MiB more memory with 16 downloads at once; 1 MiB pieces gained little more (within the noise)
 * for twice that memory.
 */
const READ_CHUNK = 512 * 1024;

/** Read size of a body compressed while it streams: those buffers go to zlib and are not pooled. */
const COMPRESSED_READ_CHUNK = 256 * 1024;

/**
 * Idle buffers kept for the next bodies: as many as bodies were in flight at once, up to 32 (16 MiB).
 * Fewer than the downloads running at once would bring the garbage back (those past the pool's size
 * allocated and dropped on every chunk).
 */
const POOLED_BUFFERS = 32;

/**
 * Read buffers for file bodies, used again and again: a buffer comes back once the connection has
 * taken its bytes (its write's callback), so a body makes no garbage. Buffers dropped after every
 * chunk piled up as external memory until V8 got round to collecting them (tens of MiB of resident
 * memory under load), and allocating them cost as much as reading into them. When more bodies are
 * in flight than the pool holds, the extra buffers are allocated and left to the collector.
 */
const idleBuffers: Buffer[] = [];

const takeBuffer = (): Buffer => idleBuffers.pop() ?? Buffer.allocUnsafeSlow(READ_CHUNK);

/**
 * A write callback that returns `buffer` to the pool, after a failed write too: the callback runs
 * once nothing holds the bytes any more (node:net calls it when libuv has finished or cancelled the
 * write, node:http2 when the session's socket write is done, and a write refused by a closed response
 * never went anywhere); and a write fails only on a connection or stream that is gone, whose bytes
 * nobody reads. Left to the collector instead, the buffers of every aborted download (each holds
 * one) stayed resident until a full collection: 4 MiB whenever 16 downloads were cut off.
 */
const returnBuffer =
  (buffer: Buffer) =>
  (): void => {
    if (idleBuffers.length < POOLED_BUFFERS) idleBuffers.push(buffer);
  };

/** How many read buffers wait in the pool (for tests). */
export const pooledReadBuffers = (): number => idleBuffers.length;

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
export function streamFile(handle: FileHandle, range: ByteRange, res: ServerResponse): void {
  void sendPieces(handle, [range], res);
}

/** Streams a whole file of `size` bytes through a brotli or gzip compressor into `res`. */
export function streamCompressed(handle: FileHandle, size: number, coding: Coding, res: ServerResponse): void {
  const file = handle.createReadStream({ start: 0, end: size - 1, highWaterMark: COMPRESSED_READ_CHUNK });
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
  const pieces = ranges.flatMap((range, index) => [Buffer.from(framing.partHeaders[index]!), range]);
  void sendPieces(handle, [...pieces, Buffer.from(framing.closing)], res);
}

/**
 * Resolves true once `res` can take more, false if the client is gone first (then no drain comes).
 * node:http2's compatibility response emits both events as node:http's does.
 */
function roomFor(res: ServerResponse): Promise<boolean> {
  if (clientGone(res)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const drained = (): void => {
      res.off('close', closed);
      resolve(true);
    };
    const closed = (): void => {
      res.off('drain', drained);
      resolve(false);
    };
    res.once('drain', drained);
    res.once('close', closed);
  });
}

/**
 * Writes `pieces` into `res` in order: text as it is, byte ranges read from the file into pooled
 * buffers, one read ahead of the connection at most (it waits for room before reading more). Does
 * what stream.pipeline did, without a stream per body: the handle is closed whatever happens; a short
 * read (the file shrank) or a failed one destroys the response with the error, so the connection is
 * cut and a short body is never taken for a complete one; a client gone stops the reads.
 */
async function sendPieces(handle: FileHandle, pieces: (Buffer | ByteRange)[], res: ServerResponse): Promise<void> {
  let room = true;
  try {
    for (const piece of pieces) {
      if (Buffer.isBuffer(piece)) {
        if (!room && !(await roomFor(res))) return;
        room = res.write(piece);
        continue;
      }
      for (let position = piece.start; position <= piece.end; ) {
        if (!room && !(await roomFor(res))) return;
        const buffer = takeBuffer();
        const { bytesRead } = await handle.read(buffer, 0, Math.min(READ_CHUNK, piece.end - position + 1), position);
        if (bytesRead === 0) throw new Error(`file shrank by ${piece.end - position + 1} bytes while being sent`);
        if (clientGone(res)) return returnBuffer(buffer)();
        position += bytesRead;
        room = res.write(buffer.subarray(0, bytesRead), returnBuffer(buffer));
      }
    }
    res.end();
  } catch (error) {
    res.destroy(error as Error);
  } finally {
    await handle.close().catch(ignore);
  }
}
