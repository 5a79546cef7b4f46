// The CLI process's memory policy: how large V8's young generation may grow. The library sets no
// V8 flag (an app that embeds the handler owns its process).
import { setFlagsFromString } from 'node:v8';

/**
 * Keeps V8's young generation at the size it has once the CLI has started (two semi-spaces of 1-2
 * MiB). By default V8 doubles it under allocation pressure up to 2 × 16 MiB on Node 20 and 22 (more on
 * 24), and every request makes a few KiB of short-lived garbage: under load that growth was 20-25 MiB
 * of resident memory, most of the server's peak. Collecting the smaller young generation more often
 * costs a few per cent of CPU per request at most, as it copies only what is alive (the requests in
 * flight). `--max-semi-space-size` would say this better but is read once, when V8 starts, and is
 * ignored when set from here; the growth factor is read at every collection. A user who sizes the
 * young generation with a Node option (NODE_OPTIONS, or node's command line) keeps their choice.
 */
export function keepYoungGenerationSmall(): void {
  const options = `${process.env.NODE_OPTIONS ?? ''} ${process.execArgv.join(' ')}`;
  if (/semi[-_]space/.test(options)) return;
  setFlagsFromString('--semi-space-growth-factor=1');
}
