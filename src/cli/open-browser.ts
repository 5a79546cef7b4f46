// `--open`: the default browser at the served URL. Never fails the server: without a browser (or an
// opener command) it says so in one line.
import { spawn } from 'node:child_process';

/** The platform's "open this URL" command. */
function opener(url: string): { command: string; args: string[] } {
  if (process.platform === 'darwin') return { command: 'open', args: [url] };
  if (process.platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""', url.replace(/&/g, '^&')] };
  return { command: 'xdg-open', args: [url] };
}

/** Opens `url`; calls `note` with a one-line reason if that is not possible. */
export function openBrowser(url: string, note: (line: string) => void): void {
  const { command, args } = opener(url);
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.on('error', (error: NodeJS.ErrnoException) => {
      note(`could not open a browser (${error.code === 'ENOENT' ? `${command} not found` : error.message}); open ${url} yourself`);
    });
    child.on('exit', (code) => {
      if (code) note(`could not open a browser (${command} exited with ${code}); open ${url} yourself`);
    });
    child.unref();
  } catch (error) {
    note(`could not open a browser (${(error as Error).message}); open ${url} yourself`);
  }
}
