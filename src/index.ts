// The library's public surface: the handler factory, the server helpers and the option types.
export { createHandler, type RequestHandler } from './handler.js';
export { createServer, listen, closeGracefully, SERVER_LIMITS, type ListenOptions } from './server.js';
export type { HandlerOptions } from './types.js';
