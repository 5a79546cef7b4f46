// nginx's configuration syntax as the nginx writer needs it: quoted strings that read back literally
// (nginx interpolates `$name` in most directives and has no escape for `$`), regexes as map and
// location keys (tiny-serve's path patterns among them), and a block builder that indents.
import { patternRegex } from './regex.js';

/**
 * Variables are prefixed with a site id so that two exported sites can sit in one `http {}` block
 * (maps are http-wide). The id is a hash of the root and the address, stable across exports.
 */
export interface Names {
  /** `$ts_1a2b_<name>` as written in the configuration. */
  variable(name: string): string;
  /** The literal `$`, for strings that interpolate: `${ts_1a2b_dollar}`. */
  dollar: string;
}

const ESCAPES: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * A string as nginx reads it inside double quotes, for directives that do NOT interpolate
 * variables (`listen`, `types`, `gzip_types`, regexes): backslash, quote and the three control
 * characters nginx knows escapes for are escaped; `;`, `{`, `}`, `#` and spaces are plain text inside quotes.
 */
export function literal(text: string): string {
  return `"${text.replace(/[\\"\t\n\r]/g, (char) => ESCAPES[char]!)}"`;
}

/** A token that needs no quotes (a type, an extension, an address) as it is; anything else as `literal`. */
export function word(text: string): string {
  return /^[A-Za-z0-9._+\/:[\]-]+$/.test(text) ? text : literal(text);
}

/**
 * A string as nginx reads it inside double quotes in a directive that interpolates variables (`root`,
 * `add_header`, `return`, map values, `auth_basic_user_file`…): as `literal`, and every `$` written as
 * the site's `$` variable (a geo block holding a lone `$`), since nginx has no escape for `$`.
 */
export function interpolated(text: string, names: Names): string {
  return literal(text).replace(/\$/g, names.dollar);
}

/** The part of an interpolated string for literal text (no quotes): for values assembled from pieces. */
export function interpolatedPiece(text: string, names: Names): string {
  return interpolated(text, names).slice(1, -1);
}

/** A regex as nginx reads it after `~` (in quotes: `{`, `}` and `;` are regex syntax, not config). */
export function regex(pattern: string, caseless = false): string {
  return literal(`${caseless ? '~*' : '~'}${pattern}`);
}

/** PCRE's form of a literal string inside a regex. */
export function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, (char) => `\\${char}`);
}

/** A pattern's regex as nginx reads it: a negated pattern as a negative lookahead (PCRE has them). */
export function patternKey(source: string): { key: string; params: string[] } {
  const { regex: pattern, negated, params } = patternRegex(source);
  // Positional groups: a named group would become a variable, and `:uri` would clash with nginx's own.
  const positional = pattern.replace(/\(\?P<[A-Za-z_][A-Za-z0-9_]*>/g, '(');
  return { key: regex(negated ? `^(?!${positional.slice(1)})` : positional), params };
}

/** Lines of a block, indented four spaces per level, with blank lines and comments kept. */
export class Block {
  readonly lines: string[] = [];
  constructor(private readonly depth = 0) {}

  line(text = ''): this {
    this.lines.push(text === '' ? '' : `${'    '.repeat(this.depth)}${text}`);
    return this;
  }

  /** Comment lines; a line break in a value shown (a prefix, a URL) cannot end the comment. */
  comment(...texts: string[]): this {
    for (const text of texts) this.line(`# ${text.replace(/[\r\n]+/g, ' ')}`);
    return this;
  }

  /** `head {`, the body the callback writes one level deeper, `}`. */
  block(head: string, body: (inner: Block) => void): this {
    const inner = new Block(this.depth + 1);
    body(inner);
    this.line(`${head} {`);
    this.lines.push(...inner.lines);
    return this.line('}');
  }

  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}
