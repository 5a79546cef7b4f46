// Drawing a QR code in a terminal with uqr: two rows of modules per line of text (▀ ▄ █ and spaces),
// light modules drawn in the foreground colour. build.mjs bundles this apart and embeds it compressed
// in the CLI, evaluated only for --qr.
import { renderUnicodeCompact } from 'uqr';

/** Light modules around the code (the standard asks for 4; 2 keeps it compact and phone cameras read it). */
export const QUIET_ZONE = 2;

/**
 * The QR code of `text`, one string per line of text. With `colour`, white on black is set explicitly,
 * so that the code reads the right way round on a light terminal theme too.
 */
export function qrCode(text: string, colour: boolean): string[] {
  const lines = renderUnicodeCompact(text, { border: QUIET_ZONE }).split('\n');
  return colour ? lines.map((line) => `\x1b[97;40m${line}\x1b[0m`) : lines;
}
