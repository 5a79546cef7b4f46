// argv → the parsed flags: the yargs parser made from the option table (help, version, completion),
// and the checks yargs does not make (a one-value flag given twice or turned off, a missing value).
// Every problem is a UserError with the line to print.
import yargs, { type Argv } from 'yargs';
import { UserError } from '../errors.js';
import { FLAGS, OPTIONS, YARGS_FLAGS, camel, type CliArgs, type Flag } from './options.js';
import { usageMessage } from './suggest.js';

/** Injected by build.mjs from package.json. */
declare const __VERSION__: string;

/** `tiny-serve export <target> [dir]`: the same flags, printed as another server's configuration. */
const EXPORT_COMMAND = 'export <target> [dir]';
export const EXPORT_TARGETS = ['nginx', 'caddy'] as const;
export type ExportTarget = (typeof EXPORT_TARGETS)[number];

/** The option that the generated completion scripts call the program with (yargs' protocol). */
const COMPLETION_KEY = 'get-yargs-completions';

/** The table as yargs takes it; its groups come out in the table's order. */
const YARGS_OPTIONS = Object.fromEntries(
  OPTIONS.map(({ name, alias, type, repeatable, group, describe, defaultDescription }) => [
    name,
    { alias, type, array: repeatable, group, describe, defaultDescription },
  ]),
);

function cliParser(argv: string[]): Argv {
  const parser = yargs(argv)
    .scriptName('tiny-serve')
    .command('$0 [dir]', 'Serve a directory over HTTP', (command) =>
      command.positional('dir', {
        type: 'string',
        default: '.',
        describe: 'Directory to serve',
        defaultDescription: 'the current directory',
      }),
    )
    .command(EXPORT_COMMAND, 'Print an nginx or Caddy config that serves dir as these flags do', (command) =>
      command
        .positional('target', { choices: EXPORT_TARGETS, describe: 'The server to write a configuration for' })
        .positional('dir', { type: 'string', default: '.', describe: 'Directory to serve', defaultDescription: 'the current directory' })
        .option('output', {
          type: 'string',
          describe: 'Write the configuration to this file (and the --auth password file beside it) instead of printing it',
        }),
    )
    .options(YARGS_OPTIONS)
    .example('$0', 'Serve the current directory on http://localhost:3000')
    .example('$0 ./public -p 8080', 'Serve ./public on port 8080')
    .example('$0 dist --host', 'Serve dist to other devices on the network')
    .example('$0 dist --single', 'Preview a single-page app (client-side routes get index.html)')
    .example('$0 dist --base /my-repo/', 'Preview a GitHub Pages project site at http://localhost:3000/my-repo/')
    .example('$0 --ssl-cert c.pem --ssl-key k.pem', 'Serve over HTTPS and HTTP/2')
    .example('$0 dist --host --ssl --qr', 'HTTPS on the network with a certificate of its own, and a QR code for a phone')
    .example('$0 -l 8080 -l unix:/tmp/s.sock', 'Listen on a port and on a Unix socket')
    .example('$0 export caddy dist --single', 'Print a Caddyfile that serves dist as --single does')
    .completion('completion', 'Print a shell completion script (add its output to ~/.bashrc or ~/.zshrc)', (current: string) =>
      completeFlags(current, argv.slice(argv.indexOf(`--${COMPLETION_KEY}`) + 1, -1)),
    )
    .strict()
    .help()
    .version(__VERSION__)
    .wrap(Math.min(100, process.stdout.columns || 100))
    .fail((message, error) => {
      // yargs spreads some messages over lines ("Invalid values:\n  Argument: …"): one line here.
      const line = (message ?? error?.message ?? 'invalid arguments').replace(/\s*\n\s*/g, ' ');
      throw new UserError(`${usageMessage(line, argv)} (see tiny-serve --help)`);
    });
  return YARGS_FLAGS.reduce((withAliases, { name, alias }) => withAliases.alias(name, alias!), parser);
}

/** `-p` for a one-letter name, `--port` for the rest. */
const dashed = (name: string): string => (name.length === 1 ? `-${name}` : `--${name}`);

/** How a flag can be written: `--port`, `-p`; `--no-compress` for one that is on by default. */
function spellings(flag: Flag): string[] {
  const names = flag.alias === undefined ? [flag.name] : [flag.name, flag.alias];
  const onByDefault = flag.type === 'boolean' && flag.defaultDescription === 'true';
  return names.map(dashed).concat(onByDefault ? [`--no-${flag.name}`] : []);
}

/**
 * Completions for the word being typed: every spelling of every flag not given yet (repeatable ones
 * always). Any other word (the directory, a flag's value) gets none, so the shell completes file names.
 */
function completeFlags(current: string, before: string[]): string[] {
  if (!current.startsWith('-')) return [];
  const given = new Set(before.map((word) => word.split('=')[0]));
  return FLAGS.flatMap((flag) => {
    const forms = spellings(flag);
    return !flag.repeatable && forms.some((form) => given.has(form)) ? [] : forms;
  }).filter((form) => form.startsWith(current));
}

/** What yargs gave for a flag, by its long name. */
const valueOf = (args: CliArgs, name: string): unknown => (args as Record<string, unknown>)[camel(name)];

/**
 * What yargs makes of value flags used the wrong way, as one line each: a one-value flag given
 * twice becomes a list (repeatable flags stay lists), and `--no-host` becomes `false`.
 */
function rejectMisusedValues(args: CliArgs): void {
  for (const option of OPTIONS) {
    if (option.type === 'boolean') continue;
    const value = valueOf(args, option.name);
    if (!option.repeatable && Array.isArray(value)) {
      throw new UserError(`--${option.name} was given ${value.length === 2 ? 'twice' : `${value.length} times`}`);
    }
    const turnedOff = Array.isArray(value) ? value.includes(false) : value === false;
    if (turnedOff && !option.mayTurnOff) throw new UserError(`--no-${option.name} is not an option: --${option.name} takes a value`);
  }
}

/** A flag that cannot go without a value, given without one: `--config` alone is one line, not a surprise. */
function requireValues(args: CliArgs): void {
  for (const { name, valueHint } of OPTIONS) {
    if (valueHint === undefined) continue;
    const value = valueOf(args, name);
    if (value === '' || (Array.isArray(value) && (value.length === 0 || value.includes('')))) {
      throw new UserError(`--${name} needs a value: ${valueHint}`);
    }
  }
}

/** What `tiny-serve export` was asked for: the target, and the file to write (undefined: stdout). */
export interface ExportRequest {
  target: ExportTarget;
  output: string | undefined;
}

/** The parsed command line: the flags, and `export` when that command was given. */
export type ParsedCommand = CliArgs & { export?: ExportRequest };

/** Parses the command line (`--help`, `--version` and completion print and exit here). */
export function parseArgs(argv: string[]): ParsedCommand {
  const parsed = cliParser(argv).parseSync() as unknown as CliArgs & { _: unknown[]; target?: ExportTarget; output?: unknown };
  const { _: commands, target, output, ...args } = parsed;
  rejectMisusedValues(args);
  requireValues(args);
  if (commands[0] !== 'export' || target === undefined) return args;
  if (Array.isArray(output)) throw new UserError('--output was given twice');
  if (output === '') throw new UserError('--output needs a value: a file path');
  return { ...args, export: { target, output: typeof output === 'string' ? output : undefined } };
}
