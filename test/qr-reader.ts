// A QR code reader for tests, written from the standard (ISO/IEC 18004), independent of the library that
// draws the codes: from a clean module matrix (no quiet zone; true = dark) to its text. Versions 1 to 10,
// byte mode; no error correction is needed, as a drawing read back from the terminal has no damaged module.

/** Error correction codewords per block and number of blocks, by level (in format-bit order M, L, H, Q) and version 1–10. */
const ECC_PER_BLOCK: Record<string, number[]> = {
  L: [7, 10, 15, 20, 26, 18, 20, 24, 30, 18],
  M: [10, 16, 26, 18, 24, 16, 18, 22, 22, 26],
  Q: [13, 22, 18, 26, 18, 24, 18, 22, 20, 24],
  H: [17, 28, 22, 16, 22, 28, 26, 26, 24, 28],
};
const BLOCKS: Record<string, number[]> = {
  L: [1, 1, 1, 1, 1, 2, 2, 2, 2, 4],
  M: [1, 1, 1, 2, 2, 4, 4, 4, 5, 5],
  Q: [1, 1, 2, 2, 4, 4, 6, 6, 8, 8],
  H: [1, 1, 2, 4, 4, 4, 5, 6, 8, 8],
};
/** The two format bits of each level, as the standard numbers them. */
const LEVEL_BY_BITS = ['M', 'L', 'H', 'Q'];

const MASKS: ((x: number, y: number) => boolean)[] = [
  (x, y) => (x + y) % 2 === 0,
  (_x, y) => y % 2 === 0,
  (x) => x % 3 === 0,
  (x, y) => (x + y) % 3 === 0,
  (x, y) => (Math.floor(x / 3) + Math.floor(y / 2)) % 2 === 0,
  (x, y) => ((x * y) % 2) + ((x * y) % 3) === 0,
  (x, y) => (((x * y) % 2) + ((x * y) % 3)) % 2 === 0,
  (x, y) => (((x + y) % 2) + ((x * y) % 3)) % 2 === 0,
];

/** Centres of the alignment patterns on each axis. */
function alignmentCentres(version: number, size: number): number[] {
  if (version === 1) return [];
  const count = Math.floor(version / 7) + 2;
  const step = Math.ceil((version * 4 + 4) / (count * 2 - 2)) * 2;
  const centres = [6];
  for (let at = size - 7; centres.length < count; at -= step) centres.splice(1, 0, at);
  return centres;
}

/** Which modules are patterns and format information rather than data. */
function functionModules(version: number, size: number): boolean[][] {
  const marked = Array.from({ length: size }, () => new Array<boolean>(size).fill(false));
  const mark = (x0: number, y0: number, width: number, height: number): void => {
    for (let y = Math.max(y0, 0); y < Math.min(y0 + height, size); y += 1) for (let x = Math.max(x0, 0); x < Math.min(x0 + width, size); x += 1) marked[y]![x] = true;
  };
  mark(0, 0, 9, 9); // finder, separator and format bits, top left
  mark(size - 8, 0, 8, 9);
  mark(0, size - 8, 9, 8);
  mark(6, 0, 1, size); // timing
  mark(0, 6, size, 1);
  const centres = alignmentCentres(version, size);
  for (const cy of centres) {
    for (const cx of centres) {
      const onFinder = (cx === 6 && cy === 6) || (cx === 6 && cy === size - 7) || (cx === size - 7 && cy === 6);
      if (!onFinder) mark(cx - 2, cy - 2, 5, 5);
    }
  }
  if (version >= 7) {
    mark(size - 11, 0, 3, 6);
    mark(0, size - 11, 6, 3);
  }
  return marked;
}

/** The 15 format bits next to the top-left finder: error correction level and mask. */
function formatOf(modules: boolean[][]): { level: string; mask: number } {
  const at = (x: number, y: number): number => (modules[y]![x] ? 1 : 0);
  let bits = 0;
  const positions: [number, number][] = [[8, 0], [8, 1], [8, 2], [8, 3], [8, 4], [8, 5], [8, 7], [8, 8], [7, 8], [5, 8], [4, 8], [3, 8], [2, 8], [1, 8], [0, 8]];
  positions.forEach(([x, y], bit) => (bits |= at(x, y) << bit));
  const data = (bits ^ 0x5412) >> 10;
  return { level: LEVEL_BY_BITS[data >> 3]!, mask: data & 7 };
}

/** Raw codewords of a version: every module that is not a function module, in bytes. */
function rawCodewords(version: number): number {
  let modules = (16 * version + 128) * version + 64;
  if (version >= 2) {
    const count = Math.floor(version / 7) + 2;
    modules -= (25 * count - 10) * count - 55;
    if (version >= 7) modules -= 36;
  }
  return Math.floor(modules / 8);
}

/** The text a QR code holds, from its modules (rows of columns, true = dark, no quiet zone). */
export function readQrCode(modules: boolean[][]): string {
  const size = modules.length;
  const version = (size - 17) / 4;
  if (!Number.isInteger(version) || version < 1 || version > 10) throw new Error(`a ${size}×${size} matrix is no QR code of version 1 to 10`);
  const { level, mask } = formatOf(modules);
  const isFunction = functionModules(version, size);

  // The data bits, unmasked, in the zig-zag order: column pairs from the right, up then down.
  const bits: number[] = [];
  for (let right = size - 1; right >= 1; right -= 2) {
    if (right === 6) right = 5; // the vertical timing pattern
    for (let vertical = 0; vertical < size; vertical += 1) {
      for (let j = 0; j < 2; j += 1) {
        const x = right - j;
        const y = ((right + 1) & 2) === 0 ? size - 1 - vertical : vertical;
        if (!isFunction[y]![x]) bits.push(Number(modules[y]![x]! !== MASKS[mask]!(x, y)));
      }
    }
  }
  const total = rawCodewords(version);
  const codewords = Array.from({ length: total }, (_, index) => bits.slice(index * 8, index * 8 + 8).reduce((byte, bit) => (byte << 1) | bit, 0));

  // De-interleave the data codewords of the blocks (the short ones come first).
  const blocks = BLOCKS[level]![version - 1]!;
  const eccPerBlock = ECC_PER_BLOCK[level]![version - 1]!;
  const shortBlocks = blocks - (total % blocks);
  const shortData = Math.floor(total / blocks) - eccPerBlock;
  const dataOf = (block: number): number => shortData + (block < shortBlocks ? 0 : 1);
  const data: number[][] = Array.from({ length: blocks }, () => []);
  let next = 0;
  for (let index = 0; index <= shortData; index += 1) {
    for (let block = 0; block < blocks; block += 1) if (index < dataOf(block)) data[block]!.push(codewords[next++]!);
  }
  const stream = data.flat().flatMap((byte) => [7, 6, 5, 4, 3, 2, 1, 0].map((shift) => (byte >> shift) & 1));

  // One byte-mode segment: mode 0100, an 8-bit count (versions 1–9) or 16-bit (10 and up), the bytes.
  let position = 0;
  const take = (count: number): number => {
    let value = 0;
    for (let bit = 0; bit < count; bit += 1) value = (value << 1) | stream[position++]!;
    return value;
  };
  const mode = take(4);
  if (mode !== 0b0100) throw new Error(`mode ${mode.toString(2)}: only byte mode is read here`);
  const length = take(version < 10 ? 8 : 16);
  return Buffer.from(Array.from({ length }, () => take(8))).toString('utf8');
}
