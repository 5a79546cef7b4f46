// How editors and tools really write a file, step by step on disk: the save styles that live reload
// and the file cache must see every time, not only the first.
import { execFileSync } from 'node:child_process';
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/**
 * Writes `contents` to `path` (inside `site`) the way one tool does. The steps run back to back,
 * synchronously, as an editor runs them: for a server in this process, every event of one save is
 * queued before it reads the first, so a save is one change however loaded the machine (awaited
 * steps could land on both sides of the 80 ms debounce window).
 */
export type Save = (site: string, path: string, contents: string) => Promise<void>;

let temps = 0;

export const SAVE_STYLES: Record<string, Save> = {
  /** write-file-atomic, JetBrains "safe write", most editors: a temp file renamed over the original. */
  'atomic save (temp file renamed over)': async (_site, path, contents) => {
    temps += 1;
    const temp = `${path}.${(0x5eed0000 + temps).toString(16)}`;
    writeFileSync(temp, contents);
    renameSync(temp, path);
  },
  /** vim: probe the directory with `4913`, move the original to a backup, write anew, drop the backup. */
  'vim save (backup, write, delete backup)': async (_site, path, contents) => {
    const probe = join(dirname(path), '4913');
    writeFileSync(probe, '');
    rmSync(probe);
    renameSync(path, `${path}~`);
    writeFileSync(path, contents);
    rmSync(`${path}~`);
  },
  /** git checkout: the file written from the index (git unlinks and creates it). */
  'git checkout': async (site, path, contents) => {
    if (!existsSync(join(site, '.git'))) execFileSync('git', ['init', '-q'], { cwd: site });
    // Only hash-object reads stdin: given to a command that does not, it can fail with EPIPE.
    const git = (args: string[], input?: string): string => execFileSync('git', args, { cwd: site, input, encoding: 'utf8' }).trim();
    const name = relative(site, path);
    const blob = git(['hash-object', '-w', '--stdin'], contents);
    git(['update-index', '--add', '--cacheinfo', `100644,${blob},${name}`]);
    git(['checkout', '--', name]);
  },
  'delete and create again': async (_site, path, contents) => {
    rmSync(path);
    writeFileSync(path, contents);
  },
};

/** `/style.css` for `<site>/style.css`: the path a change event names. */
export const urlPathOf = (site: string, path: string): string => `/${relative(site, path).split('\\').join('/')}`;
