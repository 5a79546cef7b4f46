// `tiny-serve export <target>`: the site's configuration for nginx or Caddy, with what the target
// cannot express said twice (a comment in the text, a warning for stderr), and the password file for
// --auth. Packed apart by build.mjs (only this command needs it), so its exports are async.
import { writeCaddy } from './caddy.js';
import { commentText } from './caddy-syntax.js';
import { writeNginx } from './nginx.js';
import { passwordFile } from './password-file.js';
import type { ExportTarget, Site } from './site.js';

export interface Exported {
  /** The configuration, with its header comment. */
  text: string;
  /** One line each: what the target does differently from tiny-serve. */
  warnings: string[];
  /** The password file's contents (with --auth), to be written at `site.passwordFile`. */
  passwords: string | undefined;
}

/** The header: what wrote this and from which command, then every difference as a comment. */
function header(target: ExportTarget, site: Site, notes: string[]): string {
  const lines = [
    `Written by tiny-serve ${site.version}: ${site.command}`,
    `It serves ${site.root} as that command does. Write it again after changing the flags or the config file.`,
    ...notes.map((note) => `Differs: ${note}`),
  ];
  // Caddy replaces `{$NAME}` with an environment variable in the whole file, comments included (a `{$`
  // without its `}` would swallow the lines after it): its comments are written as the Caddy writer writes them.
  const comment = (line: string): string => (target === 'caddy' ? commentText(line) : line.replace(/[\r\n]+/g, ' '));
  return lines.map((line) => `# ${comment(line)}\n`).join('');
}

export async function exportSite(target: ExportTarget, site: Site): Promise<Exported> {
  const written = target === 'nginx' ? writeNginx(site) : writeCaddy(site);
  const passwords = site.options.auth === undefined ? undefined : passwordFile(target, site.options.auth);
  return { text: header(target, site, written.notes) + written.text, warnings: written.notes, passwords };
}
