// `tiny-serve export nginx|caddy [dir] [flags]`: the settings the server would run with, written as
// the target's configuration to stdout or --output, the password file beside it, and one warning line
// on stderr for each thing the target does differently.
import { realpathSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createHandler } from '../handler/handler.js';
import { loadTls } from '../server/tls.js';
import { UserError } from '../errors.js';
import { exportSite } from '../export/export.js';
import type { ExportRequest } from './parser.js';
import type { Settings } from './settings.js';

/** Injected by build.mjs from package.json. */
declare const __VERSION__: string;

/** Where the password file goes: beside the output, named after it. */
export function passwordPath(output: string): string {
  return `${output}.htpasswd`;
}

/** `--auth user:password` → `--auth user:…`: the header comment names the user, never the password. */
function withoutPassword(argv: string[]): string[] {
  const hidden = (credentials: string): string => `${credentials.split(':')[0]}:…`;
  return argv.map((word, index) => {
    if (word.startsWith('--auth=')) return `--auth=${hidden(word.slice('--auth='.length))}`;
    return argv[index - 1] === '--auth' ? hidden(word) : word;
  });
}

/** The command line as it would be typed again (arguments with spaces or quotes quoted), without the password. */
function commandLine(argv: string[]): string {
  const words = withoutPassword(argv).map((word) => (/^[\w./:=@%+,…-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`));
  return ['tiny-serve', ...words].join(' ');
}

export async function runExport(
  request: ExportRequest,
  settings: Settings,
  argv: string[],
  io: { out: (text: string) => void; warn: (line: string) => void },
): Promise<void> {
  const output = request.output === undefined ? undefined : resolve(request.output);
  if (settings.handlerOptions.auth !== undefined && output === undefined) {
    throw new UserError('export with --auth needs --output <file>: the password file is written beside it, never into the config');
  }
  // The same checks the server makes at start (the fallback file exists, rules compile, headers are valid,
  // the certificate files read and match), so that a configuration is never written for a site that would not start.
  createHandler({ ...settings.handlerOptions, fileCache: false, watch: false }).close();
  if (settings.tls !== undefined && typeof settings.tls !== 'string') await loadTls(settings.tls);
  const site = {
    root: realpathSync(settings.handlerOptions.root),
    options: settings.handlerOptions,
    endpoints: settings.endpoints,
    tls: absoluteTls(settings.tls),
    http2: settings.http2,
    passwordFile: output === undefined ? undefined : passwordPath(output),
    version: __VERSION__,
    command: commandLine(argv),
  };
  const exported = await exportSite(request.target, site);
  if (output === undefined) io.out(exported.text);
  else {
    // The password file is readable by its owner only: make it readable by the server's user (see the comment in the config).
    if (exported.passwords !== undefined) await writeOrSay(passwordPath(output), exported.passwords, 0o600);
    await writeOrSay(output, exported.text, 0o644);
  }
  for (const warning of exported.warnings) io.warn(`export ${request.target}: ${warning}`);
}

/** Certificate paths made absolute: the target reads them from its own directory, not from where the export ran. */
function absoluteTls(tls: Settings['tls']): Settings['tls'] {
  if (tls === undefined || typeof tls === 'string') return tls;
  const absolute = (path: string | undefined): string | undefined => (path === undefined ? undefined : resolve(path));
  return { cert: resolve(tls.cert), key: absolute(tls.key), pass: absolute(tls.pass) };
}

/** Writes a file, or says in one line why it could not. */
async function writeOrSay(path: string, text: string, mode: number): Promise<void> {
  try {
    await writeFile(path, text, { mode });
  } catch (error) {
    throw new UserError(`cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}
