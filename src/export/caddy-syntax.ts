// How values are written in a Caddyfile so that Caddy reads them back literally: one quoting
// function for every token, the `{placeholder}` escapes, regex literals, and indented blocks.
import { UserError } from '../errors.js';

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
  return text.includes('{') ? text.replace(/[{}]/g, (brace) => `\\${brace}`) : text;
}

/** A literal value (no placeholders), as one token. */
export function literal(text: string): string {
  return token(escapeBraces(text));
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

/** A regex from src/export/regex.ts as a path_regexp token (its backquotes as `\x{60}`). */
export function regexToken(regex: string): string {
  return token(regex.replace(/\\`/g, '\\x{60}'));
}

/** Lines, each indented one tab more. */
export function indent(lines: string[]): string[] {
  return lines.map((line) => (line === '' ? '' : `\t${line}`));
}

/** `head {` … `}`; empty body lines are dropped with the block when there are none. */
export function block(head: string, body: string[]): string[] {
  return [`${head} {`, ...indent(body), '}'];
}

/** Comment lines (`# …`), one per sentence given. */
export function comment(...sentences: string[]): string[] {
  return sentences.map((sentence) => `# ${sentence.replace(/[\r\n]+/g, ' ')}`);
}
