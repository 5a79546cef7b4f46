// --qr: the first Network URL drawn as a QR code under the banner when the server is exposed and the
// output is a terminal (a pseudo-terminal from python3's pty module here), otherwise one line saying
// why not. The drawing is read back into modules, compared with uqr's own encoding of the URL, and
// decoded by a reader written from the standard (qr-reader.ts).
import { spawnSync } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { encode } from 'uqr';
import { afterEach, describe, expect, it } from 'vitest';
import { QUIET_ZONE, qrCode } from '../src/cli/qr-code.js';
import { SITE } from './helpers.js';
import { readQrCode } from './qr-reader.js';
import { startCli, stopAll } from './cli-helpers.js';

afterEach(stopAll);

/** The first external IPv4 address of this machine, if any: binding it exposes the server. */
function lanAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((info) => info !== undefined && !info.internal && info.family === 'IPv4')?.address;
}

// In CI (which installs python3) a missing python3 fails the terminal test rather than skipping it.
const hasPython = spawnSync('python3', ['-c', 'import pty'], { stdio: 'ignore' }).status === 0;

/** Runs the rest of the command line on a pseudo-terminal, its output copied to our pipe. */
const ON_A_TERMINAL = { command: 'python3', prefix: ['-c', 'import pty, sys; pty.spawn(sys.argv[1:])'] };

/** Light (false) and dark (true) modules of each half of a drawn character, top then bottom. */
const HALVES: Record<string, [boolean, boolean]> = { '█': [false, false], '▀': [false, true], '▄': [true, false], ' ': [true, true] };

/** The code inside its quiet zone. */
const withoutQuietZone = (modules: boolean[][]): boolean[][] => modules.slice(QUIET_ZONE, -QUIET_ZONE).map((row) => row.slice(QUIET_ZONE, -QUIET_ZONE));

/** The module matrix a drawing shows (`size` rows: the last line's lower half is below the code). */
function modulesOf(lines: string[], size: number): boolean[][] {
  const rows: boolean[][] = [];
  for (const line of lines) {
    const halves = [...line].map((char) => HALVES[char] ?? expect.fail(`unexpected character ${JSON.stringify(char)}`));
    rows.push(halves.map(([top]) => top), halves.map(([, bottom]) => bottom));
  }
  return rows.slice(0, size);
}

describe('the drawing', () => {
  it('shows every module of the URL\'s QR code, with its quiet zone, two rows per line', () => {
    const url = 'http://192.168.1.23:3000/';
    const expected = encode(url, { border: QUIET_ZONE });
    const lines = qrCode(url, false);

    expect(lines).toHaveLength(Math.ceil(expected.size / 2));
    expect(modulesOf(lines, expected.size)).toEqual(expected.data);
    expect(readQrCode(withoutQuietZone(modulesOf(lines, expected.size)))).toBe(url);
    // Light all round: the quiet zone.
    expect(expected.data[0]!.every((dark) => !dark)).toBe(true);
  });

  it.each(['https://[2001:db8::1234:5678:9abc]:54321/my-repo/', 'https://my-laptop.example.internal:3000/some/base/path/'])('draws %s readably', (url) => {
    const lines = qrCode(url, false);
    expect(readQrCode(withoutQuietZone(modulesOf(lines, lines.length * 2 - 1)))).toBe(url);
  });

  it('sets white on black itself in colour, so it reads the right way round on a light theme too', () => {
    const plain = qrCode('http://10.0.0.2:8080/', false);
    expect(qrCode('http://10.0.0.2:8080/', true)).toEqual(plain.map((line) => `\x1b[97;40m${line}\x1b[0m`));
  });
});

describe('--qr', () => {
  it('without --host prints no code, and one line saying why', async () => {
    const cli = startCli([SITE, '--qr', '-p', '0', '-H', '127.0.0.1']);
    await cli.waitForOutput(/--qr: .*\n/);

    expect(cli.stdout).toContain('  --qr: no QR code, the server is not exposed to the network (add --host)\n');
    expect(cli.stdout).not.toMatch(/[█▀▄]/);
  });

  it.skipIf(lanAddress() === undefined)('exposed but not on a terminal prints no code, and one line saying why', async () => {
    const cli = startCli([SITE, '--qr', '-p', '0', '-H', lanAddress()!]);
    await cli.waitForOutput(/--qr: .*\n/);

    expect(cli.stdout).toContain('  --qr: no QR code, the output is not a terminal\n');
    expect(cli.stdout).not.toMatch(/[█▀▄]/);
  });

  it.skipIf((!hasPython && !process.env.CI) || lanAddress() === undefined)('exposed on a terminal draws the Network URL under the banner', async () => {
    const cli = startCli([SITE, '--qr', '-p', '0', '--host'], { wrapper: ON_A_TERMINAL, env: { NO_COLOR: '1' } });
    const [, url] = await cli.waitForOutput(/Scan to open (\S+)/, 10_000);
    const output = cli.stdout.replace(/\r\n/g, '\n');

    const network = /^ {2}Network: {2}(\S+)$/m.exec(output)?.[1];
    expect(url).toBe(network);
    const drawn = output
      .slice(output.indexOf('Press Ctrl+C to stop'), output.indexOf('Scan to open'))
      .split('\n')
      .filter((line) => /[█▀▄]/.test(line))
      .map((line) => line.slice(2)); // the banner's indent
    const expected = encode(url!, { border: QUIET_ZONE });
    expect(modulesOf(drawn, expected.size)).toEqual(expected.data);
    expect(readQrCode(withoutQuietZone(modulesOf(drawn, expected.size)))).toBe(url);
  });
});
