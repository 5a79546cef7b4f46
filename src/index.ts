// The package entry (`import … from 'tiny-serve'`): the handler factory, `serve`, and their types.
export { createHandler, type RequestHandler } from './handler/handler.js';
export { serve, type ServeOptions, type ServeHandle } from './server/serve.js';
export type { HandlerOptions, HeaderRule, ProxyRule, Redirect, Rewrite } from './types.js';
