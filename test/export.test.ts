// `tiny-serve export` as a command: its arguments and errors (one line, exit 1), --output and the
// password file beside it, the same option checks as serving, and the header of what it prints.
// What the configurations do is tested against the real servers (export-nginx/-caddy.test.ts).
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join, relative as pathRelative } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO, linesOf, runCli, stopAll } from './cli-helpers.js';
import { SITE, makeCertificates } from './helpers.js';

afterEach(stopAll);

/** A temporary directory for --output, removed after the test. */
function scratch(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'tiny-serve-export-cli-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

describe('tiny-serve export: arguments', () => {
  it.each([
    [['export'], /^tiny-serve: Not enough non-option arguments/],
    [['export', 'apache', SITE], /^tiny-serve: Invalid values:.*"apache".*"nginx", "caddy"/],
    [['export', 'nginx', join(SITE, 'does-not-exist')], /^tiny-serve: directory not found: /],
    [['export', 'nginx', SITE, '--single', 'missing.html'], /^tiny-serve: single-page fallback not found: /],
    [['export', 'caddy', SITE, '--header', 'Bad Name: x'], /^tiny-serve: invalid header name "Bad Name"/],
    [['export', 'nginx', SITE, '--output', join(SITE, 'no-such-dir', 'site.conf')], /^tiny-serve: cannot write .*site\.conf: ENOENT$/],
    [['export', 'nginx', SITE, '--output', 'a', '--output', 'b'], /^tiny-serve: --output was given twice$/],
    [['export', 'nginx', SITE, '--ssl-cert', join(SITE, 'missing.pem'), '--ssl-key', join(SITE, 'missing.pem')], /^tiny-serve: .*--ssl-cert.*missing\.pem/],
    [['export', 'caddy', SITE, '--ssl-cert', join(SITE, 'hello.txt'), '--ssl-key', join(SITE, 'hello.txt')], /^tiny-serve: .*hello\.txt/],
    [['export', 'nginx', SITE, '--auth', 'a\nb:pw', '--output', '/tmp/x.conf'], /^tiny-serve: auth must look like user:password, without control characters/],
  ])('%j: one line and exit 1, nothing printed', async (args, message) => {
    const result = await runCli(args);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(linesOf(result.stderr)).toHaveLength(1);
    expect(result.stderr.trim()).toMatch(message);
  });

  it('prints the configuration with a header naming the command and the directory, and exits without listening', async () => {
    for (const target of ['nginx', 'caddy']) {
      const result = await runCli(['export', target, SITE, '--single', '-p', '8080']);
      expect(result.code).toBe(0);
      const [first, second] = linesOf(result.stdout);
      expect(first).toBe(`# Written by tiny-serve 0.1.0: tiny-serve export ${target} ${SITE} --single -p 8080`);
      expect(second).toContain(`It serves ${SITE} as that command does`);
    }
  });

  it('quotes the command line in the header as a shell would need it', async () => {
    const result = await runCli(['export', 'nginx', SITE, '--header', "X-Note: it's"]);
    expect(result.code).toBe(0);
    expect(linesOf(result.stdout)[0]).toBe(`# Written by tiny-serve 0.1.0: tiny-serve export nginx ${SITE} --header 'X-Note: it'\\''s'`);
  });
});

describe('tiny-serve export: paths and comments the target reads back as written', () => {
  it('writes certificate paths given relative to the current directory as absolute paths', async () => {
    const certificates = makeCertificates();
    try {
      const relative = (path: string): string => pathRelative(REPO, path);
      for (const target of ['nginx', 'caddy']) {
        const result = await runCli(['export', target, SITE, '--ssl-cert', relative(certificates.cert), '--ssl-key', relative(certificates.key)]);
        expect(result.code).toBe(0);
        const body = result.stdout.split('\n').filter((line) => !line.startsWith('#')).join('\n');
        expect(body).toContain(certificates.cert);
        expect(body).toContain(certificates.key);
        expect(body).not.toContain(relative(certificates.cert)); // `../../tmp/…` also holds the absolute path's text
        expect(body).not.toContain(relative(certificates.key));
      }
    } finally {
      certificates.cleanup();
    }
  });

  it('keeps "{$" out of the Caddyfile comments: Caddy would replace it with an environment variable, swallowing lines', async () => {
    const work = scratch();
    try {
      const output = join(work.dir, 'Caddyfile');
      const result = await runCli(['export', 'caddy', SITE, '--watch-ignore', '{$', '-p', '8080', '--output', output]);
      expect(result.code).toBe(0);
      const text = readFileSync(output, 'utf8');
      expect(text).toContain("--watch-ignore '{\\$'");
      expect(text).not.toContain('{$');
      // What Caddy makes of it is the site block as written: the :8080 address survives the comment.
      const adapted = spawnSync('caddy', ['adapt', '--config', output, '--adapter', 'caddyfile'], { encoding: 'utf8', env: { ...process.env, HOME: work.dir } });
      expect(adapted.status, adapted.stderr).toBe(0);
      expect(adapted.stdout).toContain(':8080"');
    } finally {
      work.cleanup();
    }
  });
});

describe('tiny-serve export --auth: the password file beside the output', () => {
  it('refuses to print a configuration with --auth to stdout: the password file needs a place', async () => {
    const result = await runCli(['export', 'nginx', SITE, '--auth', 'ada:lovelace']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(linesOf(result.stderr)).toEqual([
      'tiny-serve: export with --auth needs --output <file>: the password file is written beside it, never into the config',
    ]);
  });

  it.each(['nginx', 'caddy'])('%s: writes the configuration and <output>.htpasswd (0600, a bcrypt hash); the password is in neither', async (target) => {
    const work = scratch();
    try {
      const output = join(work.dir, 'site.conf');
      const result = await runCli(['export', target, SITE, '--auth', 'ada:lovelace', '--output', output]);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('');
      const config = readFileSync(output, 'utf8');
      const passwords = readFileSync(`${output}.htpasswd`, 'utf8');
      expect(config).not.toContain('lovelace');
      expect(passwords).not.toContain('lovelace');
      expect(config).toContain(`${output}.htpasswd`);
      expect(linesOf(config)[0]).toBe(`# Written by tiny-serve 0.1.0: tiny-serve export ${target} ${SITE} --auth ada:… --output ${output}`);
      expect(statSync(`${output}.htpasswd`).mode & 0o777).toBe(0o600);
      const [line, ...rest] = linesOf(passwords);
      expect(rest).toEqual([]);
      const hash = target === 'nginx' ? line!.replace(/^ada:/, '') : Buffer.from(line!.replace(/^ada /, ''), 'base64').toString();
      expect(hash).toMatch(/^\$2[aby]\$10\$/);
      expect(bcrypt.compareSync('lovelace', hash)).toBe(true);
      expect(bcrypt.compareSync('lovelac', hash)).toBe(false);
    } finally {
      work.cleanup();
    }
  });

  it('takes TINY_SERVE_AUTH as serving does', async () => {
    const work = scratch();
    try {
      const output = join(work.dir, 'site.conf');
      const result = await runCli(['export', 'nginx', SITE, '--output', output], { env: { TINY_SERVE_AUTH: 'grace:hopper' } });
      expect(result.code).toBe(0);
      expect(readFileSync(`${output}.htpasswd`, 'utf8')).toMatch(/^grace:\$2/);
    } finally {
      work.cleanup();
    }
  });

  it('writes no password file without --auth', async () => {
    const work = scratch();
    try {
      const output = join(work.dir, 'site.conf');
      writeFileSync(join(work.dir, 'keep'), '');
      expect((await runCli(['export', 'caddy', SITE, '--output', output])).code).toBe(0);
      expect(readFileSync(output, 'utf8')).toContain('# Written by tiny-serve');
      expect(existsSync(`${output}.htpasswd`)).toBe(false);
    } finally {
      work.cleanup();
    }
  });
});

describe('tiny-serve export: help', () => {
  it('--help lists the export command', async () => {
    const result = await runCli(['--help']);
    expect(result.stdout).toMatch(/^ {2}tiny-serve export <target> \[dir\] +Print an nginx or Caddy config that serves dir as these flags do$/m);
  });

  it('export --help names the targets and --output', async () => {
    const result = await runCli(['export', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('[choices: "nginx", "caddy"]');
    expect(result.stdout).toMatch(/--output +Write the configuration to this file/);
  });
});
