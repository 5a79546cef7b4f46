// --log-file: the request log appended to a file, which is opened at start-up (a path that cannot be
// opened is the user's error), reopened on demand (SIGHUP, after logrotate has moved it away), and
// never a reason to stop serving.
import { createWriteStream, openSync } from 'node:fs';
import { UserError } from '../errors.js';
import { safeWriter } from './log.js';

export interface LogFile {
  /** Appends text; a failed write is reported once and the log stops until the next reopen. */
  write(text: string): void;
  /** Opens the path again (a new file if it was moved), and closes the old one once its lines are written. */
  reopen(): void;
  close(): void;
}

/** Why a path cannot be opened, in a few words. */
function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such directory';
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return code ?? (error as Error).message;
}

/**
 * Opens (creating it with mode 0644, less the umask) `path` for appending. Synchronous: at start-up,
 * and on a reopen, where it makes every line written after the signal go to the new file.
 */
function openForAppend(path: string): NodeJS.WritableStream {
  const fd = openSync(path, 'a', 0o644);
  return createWriteStream(path, { fd, flags: 'a' });
}

/**
 * Opens the log file; throws a UserError when it cannot be opened. `report` gets one line when
 * writing fails (disk full) or a reopen fails (the old file is kept then).
 */
export function openLogFile(path: string, report: (line: string) => void): LogFile {
  let stream: NodeJS.WritableStream;
  try {
    stream = openForAppend(path);
  } catch (error) {
    throw new UserError(`cannot open --log-file ${path}: ${reason(error)}`);
  }
  const writerFor = (opened: NodeJS.WritableStream) =>
    safeWriter(opened, (error) => report(`cannot write to --log-file ${path} (${reason(error)}): the request log stops until a SIGHUP reopens it`));
  let write = writerFor(stream);
  return {
    write: (text) => write(text),
    reopen() {
      let opened: NodeJS.WritableStream;
      try {
        opened = openForAppend(path);
      } catch (error) {
        report(`cannot reopen --log-file ${path} (${reason(error)}): still writing to the file opened before`);
        return;
      }
      const old = stream;
      [stream, write] = [opened, writerFor(opened)];
      old.end();
    },
    close: () => stream.end(),
  };
}
