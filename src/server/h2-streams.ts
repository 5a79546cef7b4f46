// HTTP/2 requests whose answer the handler keeps in memory, written on node:http2's core stream API;
// every other stream goes on to node:http2's compatibility layer (request and response objects), as before.
import type { IncomingHttpHeaders, Http2SecureServer, OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { RequestHead } from '../handler/handler.js';
import type { Answer } from '../types.js';

/** The handler's kept answer for a request (see RequestHandler.recallAnswer). */
export type RecallAnswer = (request: RequestHead) => Promise<Answer | undefined> | undefined;

/** The 'stream' listener node:http2 installs for its compatibility layer, with the event's arguments. */
type StreamListener = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, rawHeaders: string[]) => void;

const ignore = (): void => {};

/** An answer's headers as `respond` takes them, made once per kept answer: lowercase names, `:status` first. */
const streamHeaders = new WeakMap<Answer['headers'], OutgoingHttpHeaders>();

function streamHeadersOf({ status, headers }: Answer): OutgoingHttpHeaders {
  let made = streamHeaders.get(headers);
  if (!made) {
    made = { ':status': status };
    for (const name of Object.keys(headers)) made[name.toLowerCase()] = headers[name];
    streamHeaders.set(headers, made);
  }
  return made;
}

/**
 * A request the compatibility layer would hand straight to the request listener, so an answer
 * from memory may stand in for it: a GET or HEAD (CONNECT has its own event), without `Expect`
 * (answered by the layer itself), and within `fits` (too large a header list is answered 431).
 */
function mayRecall(headers: IncomingHttpHeaders, rawHeaders: string[], fits: (rawHeaders: string[]) => boolean): boolean {
  const method = headers[':method'];
  return (method === 'GET' || method === 'HEAD') && headers.expect === undefined && fits(rawHeaders);
}

/**
 * Answers from `recall` on the core stream (`respond` and `end`): no Http2ServerRequest and
 * Http2ServerResponse, whose making and bookkeeping (header maps, trailers, events) cost more per
 * request than the answer itself. The compatibility layer's own 'stream' listener (node:http2
 * installs it along with the first 'request' listener) is taken off and called for every other
 * stream, with the same arguments. A Node whose layer is wired otherwise keeps it as it is. Call it
 * once the server's own 'request' listeners are on: while anyone else listens for requests too (a
 * `serve()` caller logging them), every stream goes to the compatibility layer, so they see them all.
 */
export function answerKeptOnStreams(server: Http2SecureServer, recall: RecallAnswer, fits: (rawHeaders: string[]) => boolean): void {
  const listeners = server.listeners('stream');
  if (listeners.length !== 1) return;
  const compat = listeners[0] as StreamListener;
  const ownRequestListeners = server.listenerCount('request');
  server.removeListener('stream', compat);
  server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, rawHeaders: string[]) => {
    const toCompat = (): void => compat.call(server, stream, headers, flags, rawHeaders);
    let pending: ReturnType<RecallAnswer>;
    try {
      const alone = server.listenerCount('request') === ownRequestListeners;
      pending = alone && mayRecall(headers, rawHeaders, fits) ? recall({ method: headers[':method'], url: headers[':path'] ?? '/', headers }) : undefined;
    } catch {
      pending = undefined; // the pipeline answers it, or says what went wrong
    }
    if (!pending) return toCompat();
    // A peer's reset with an error code is emitted as an error: nobody else listens on this stream.
    stream.on('error', ignore);
    pending.then(
      (answer) => {
        // Reset or closed while the cache settled: nothing to answer any more.
        if (stream.destroyed || stream.closed) return;
        if (answer) send(stream, answer, headers[':method'] === 'HEAD');
        else toCompat();
      },
      () => (stream.destroyed ? undefined : toCompat()),
    );
  });
}

/** Headers and body in one go; HEAD and empty bodies end with the headers. */
function send(stream: ServerHttp2Stream, answer: Answer, head: boolean): void {
  try {
    if (head || answer.body.length === 0) {
      stream.respond(streamHeadersOf(answer), { endStream: true });
    } else {
      stream.respond(streamHeadersOf(answer));
      stream.end(answer.body);
    }
  } catch {
    stream.destroy();
  }
}
