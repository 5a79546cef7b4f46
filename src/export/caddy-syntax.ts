// How values are written in a Caddyfile so that Caddy reads them back literally: one quoting
// function for every token, the `{placeholder}` and `{$ENV}` escapes, regex literals, and indented blocks.
import { UserError } from '../errors.js';

/**
 * Caddy replaces `{$NAME}` and `{$NAME:default}` with environment variables in the raw text of a
 * Caddyfile and of every file it imports, before it reads a single token: inside quotes and
 * backquotes, in comments, with no escape (it deletes up to the next `}`, across lines). So the
 * written text never holds `{$`. Where Caddy then replaces placeholders, `{$` is written
 * `\{{env.}$`: the escaped brace, then the environment variable with no name, which is always empty.
 */
export const ENV_OPEN = '{$';
export const EMPTY_PLACEHOLDER = '{env.}';

/**
 * A token exactly as given: bare when it is plain (words, paths, numbers). A backquoted token is raw (no escapes at all), so it is the form used
 * whenever the text has no backquote; otherwise double quotes, where Caddy's lexer turns `\"` into
 * `"` and keeps every other backslash, so a backslash before a quote, a blank or the end cannot be
 * written: refused rather than changed.
 */
export function token(text: string): string {
  if (/^[A-Za-z0-9_.:/%+=,*-][A-Za-z0-9_.:/%+=,*@-]*$/.test(text)) return text; // nothing Caddy's lexer or a directive reads specially
  if (!text.includes('`')) return `\`${text}\``;
  if (/\\(?=["\s]|$)/.test(text)) throw new UserError(`cannot write ${JSON.stringify(text)} in a Caddyfile: it holds a backquote and a backslash before a quote, blank or its end`);
  return `"${text.replace(/"/g, '\\"')}"`;
}

/**
 * Text that Caddy must not read as placeholders: header values, response bodies, paths. Caddy
 * replaces `{name}` in most values at run time (`{host}`, `{path}`), and `\{` `\}` are its escapes.
 */
export function escapeBraces(text: string): string {
  // Caddy returns a value without `{` as it is, escapes and all: a lone `}` is then literal already.
  if (!text.includes('{')) return text;
  return text.replace(/[{}]/g, (brace) => `\\${brace}`).replaceAll(`\\${ENV_OPEN}`, `\\{${EMPTY_PLACEHOLDER}$`);
}

/** A literal value (no placeholders), as one token. */
export function literal(text: string): string {
  return token(escapeBraces(text));
}

/**
 * A value Caddy reads with no placeholders (a file it loads, as the TLS certificate): as it is, one
 * token. It cannot hold `{$`: refused, naming `what` it is.
 */
export function verbatim(text: string, what: string): string {
  if (text.includes(ENV_OPEN)) throw new UserError(envRefusal(what, text));
  return token(text);
}

/**
 * The user name on a line of the password file the Caddyfile imports (`user <hash>`), as one token
 * that reads back as it is. Two replacers run over it: the import's, which knows no placeholders
 * but reads the `\{` `\}` escapes, then basicauth's when Caddy starts, which knows `{env.…}` (an
 * unescaped `{x}` in a name would become empty): so the braces are escaped twice.
 */
export function passwordFileUser(user: string): string {
  return token(escapeBraces(escapeBraces(user)));
}

/** Why a value cannot be written for Caddy. */
export function envRefusal(what: string, text: string): string {
  return `cannot write ${what} ${JSON.stringify(text)} for Caddy: it holds "${ENV_OPEN}", which Caddy replaces with an environment variable`;
}

/**
 * Text as an RE2 literal: ASCII punctuation escaped, controls and the backquote as `\x{…}` (so a
 * regex always fits a backquoted token), anything else as it is.
 */
export function regexLiteral(text: string): string {
  return [...text]
    .map((char) => {
      const code = char.codePointAt(0)!;
      if (code < 0x20 || code === 0x7f || char === '`') return `\\x{${code.toString(16)}}`;
      return /[\\^$.|?*+()[\]{}/-]/.test(char) ? `\\${char}` : char;
    })
    .join('');
}

/**
 * A regex from src/export/regex.ts as a path_regexp token: its backquotes as `\x{60}`, and a brace
 * before a `$` (a literal brace before the end anchor) as `\x7b`, the same character to RE2.
 */
export function regexToken(regex: string): string {
  const quoted = regex.replace(/\\`/g, '\\x{60}');
  return token(quoted.replace(/\\[\s\S]|\{/g, (match, at: number) => (match.endsWith('{') && quoted[at + match.length] === '$' ? '\\x7b' : match)));
}

/** Lines, each indented one tab more. */
export function indent(lines: string[]): string[] {
  return lines.map((line) => (line === '' ? '' : `\t${line}`));
}

/** `head {` … `}`; empty body lines are dropped with the block when there are none. */
export function block(head: string, body: string[]): string[] {
  return [`${head} {`, ...indent(body), '}'];
}

/** Comment lines (`# …`), one per sentence given; `{$` in them is written `{\$` (Caddy reads comments for `{$ENV}` too). */
export function comment(...sentences: string[]): string[] {
  return sentences.map((sentence) => `# ${commentText(sentence)}`);
}

/** A comment's text: one line, without `{$`. */
export function commentText(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replaceAll(ENV_OPEN, '{\\$');
}
