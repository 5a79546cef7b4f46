// HTTP/1.1 pipelining: node:http parses ahead and calls the handler for every request a connection
// sends, while earlier responses are still being written. A response here waits for its turn before
// it takes anything (a descriptor, a buffer), and a connection that queues too many stops being read.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Requests parsed ahead of their turn on one connection before it stops reading. Browsers do not
 * pipeline; a client that does gets this many answered back to back, and the rest are read as the
 * queue drains. At most one more read (64 KiB of requests) can arrive after the pause.
 */
export const MAX_QUEUED_PER_CONNECTION = 32;

/**
 * node:http's own backpressure for a connection (the same in Node 20, 22 and 24): with `_paused` set,
 * its server pauses the parser after the current chunk and keeps the socket from reading; it clears
 * the flag whenever the socket's writes drain. Our queue uses the same switch, and sets it again
 * after each drain while the queue is full. On a Node without these fields, pausing does nothing and
 * only the waiting below bounds the work.
 */
type HttpSocket = Socket & { _paused?: boolean; parser?: { pause(): void; resume(): void } | null };

interface Queue {
  /** Called with false when the connection closes before their turn. */
  waiting: Set<(ready: boolean) => void>;
  pausedHere: boolean;
}

const queues = new WeakMap<Socket, Queue>();

function queueOf(socket: HttpSocket): Queue {
  let queue = queues.get(socket);
  if (!queue) {
    const created: Queue = { waiting: new Set(), pausedHere: false };
    // One listener of each per connection, however many requests wait on it.
    socket.once('close', () => {
      for (const settle of created.waiting) settle(false);
    });
    // Runs after node:http's own drain listener, which resumes reading: not while the queue is full.
    socket.on('drain', () => {
      if (created.waiting.size > MAX_QUEUED_PER_CONNECTION) pause(socket, created, true);
    });
    queues.set(socket, created);
    queue = created;
  }
  return queue;
}

/**
 * Stops reading. Inside a request callback node:http pauses its parser itself once the chunk being
 * parsed is done (pausing it mid-chunk is not allowed); from a drain event, `parser` is paused here.
 */
function pause(socket: HttpSocket, queue: Queue, parser = false): void {
  queue.pausedHere = true;
  if (socket._paused) return;
  socket._paused = true;
  if (parser) socket.parser?.pause();
  socket.pause();
}

function resume(socket: HttpSocket, queue: Queue): void {
  queue.pausedHere = false;
  if (!socket._paused) return;
  socket._paused = false;
  socket.parser?.resume();
  socket.resume();
}

/**
 * True (at once) when `res` may be written now; for a pipelined request, a promise that resolves true
 * when the responses before it are done, or false when the connection closed first (nothing to do).
 * HTTP/2 streams are concurrent by design and bounded by the stream limit: never queued here.
 */
export function awaitTurn(req: IncomingMessage, res: ServerResponse): true | Promise<boolean> {
  if (res.socket || req.httpVersionMajor !== 1) return true;
  const socket = req.socket as HttpSocket;
  if (socket.destroyed) return Promise.resolve(false);
  const queue = queueOf(socket);
  return new Promise<boolean>((resolve) => {
    const settle = (ready: boolean): void => {
      if (!queue.waiting.delete(settle)) return;
      res.off('socket', onSocket);
      if (queue.pausedHere && queue.waiting.size <= MAX_QUEUED_PER_CONNECTION / 2) resume(socket, queue);
      resolve(ready);
    };
    const onSocket = (): void => settle(true);
    queue.waiting.add(settle);
    res.once('socket', onSocket);
    if (queue.waiting.size > MAX_QUEUED_PER_CONNECTION) pause(socket, queue);
  });
}
