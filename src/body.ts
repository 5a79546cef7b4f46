// Streaming a file body: exactly Content-Length bytes, descriptors always released.
import { Transform, pipeline, type TransformCallback } from 'node:stream';
import type { ServerResponse } from 'node:http';
import type { FileHandle } from 'node:fs/promises';

/** Read size for file bodies: fewer, larger reads than the 64 KiB default for big files. */
const READ_CHUNK = 256 * 1024;

/** Fails the pipeline when the file ends before `expected` bytes (it shrank while being sent). */
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
 * Streams bytes `start..end` (inclusive) of an open file into `res`, whose headers are written.
 * The read stream owns the handle and closes it on end, error or abort (`pipeline` destroys every
 * stream when one fails). A file that grows is cut at `end`; one that shrinks destroys the
 * connection, so the client sees an incomplete response instead of waiting forever.
 */
export function streamFile(handle: FileHandle, start: number, end: number, res: ServerResponse): void {
  const file = handle.createReadStream({ start, end, highWaterMark: READ_CHUNK });
  // On failure pipeline has already destroyed the file stream (closing the handle) and the response
  // (closing the connection); a client that went away is not an error worth reporting.
  pipeline(file, new ExactLength(end - start + 1), res, () => {});
}
