// Floods on one connection: HTTP/1.1 pipelining that never reads its answers must not take the
// server's descriptors or memory, and pipelined requests that are read get every answer, in order.
// Counted in descriptors, handler calls and RSS, never in time.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_QUEUED_PER_CONNECTION } from '../src/handler/pipelining.js';
import { startCli, stopAll } from './cli-helpers.js';
import { openDescriptorsOf, rawRequest, SITE, useServedCopy } from './helpers.js';

const MiB = 1024 * 1024;

/** Opens a connection and writes `count` pipelined GETs of `path`; the socket reads nothing. */
function pipelineFlood(port: number, path: string, count: number): Promise<Socket> {
  return new Promise((done, fail) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.pause();
      socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`.repeat(count));
      done(socket);
    });
    socket.on('error', fail);
  });
}

/** Lets the server take in everything already sent: a request on another connection is answered after it. */
async function afterServerCaughtUp(port: number): Promise<void> {
  for (let round = 0; round < 3; round += 1) expect((await rawRequest(port, '/hello.txt')).status).toBe(200);
}

/**
 * Reads `count` pipelined responses, each with a Content-Length, from a raw stream: their statuses
 * and bodies in the order they arrived.
 */
function readResponses(socket: Socket, count: number): Promise<Array<{ status: number; body: Buffer }>> {
  return new Promise((done, fail) => {
    const responses: Array<{ status: number; body: Buffer }> = [];
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = buffered.subarray(0, end).toString('latin1');
        const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1]);
        if (Number.isNaN(length)) return fail(new Error(`no Content-Length in ${head}`));
        if (buffered.length < end + 4 + length) return;
        responses.push({ status: Number(head.slice(9, 12)), body: buffered.subarray(end + 4, end + 4 + length) });
        buffered = buffered.subarray(end + 4 + length);
        if (responses.length === count) {
          socket.destroy();
          return done(responses);
        }
      }
    });
    socket.on('error', fail);
    socket.on('close', () => fail(new Error(`connection closed after ${responses.length} of ${count} responses`)));
    socket.resume();
  });
}

describe('pipelined requests on one connection', () => {
  const copy = useServedCopy();
  const sockets: Socket[] = [];
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.destroy();
  });

  it('holds one descriptor for 1,000 pipelined downloads of a big file that are never read', async () => {
    const big = join(copy.root, 'big.bin');
    writeFileSync(big, Buffer.alloc(4 * MiB, 9));
    sockets.push(await pipelineFlood(copy.server.port, '/big.bin', 1000));
    await afterServerCaughtUp(copy.server.port);
    // The first response streams (and is stuck on the unread connection); the rest wait their turn.
    expect(openDescriptorsOf(big)).toBeLessThanOrEqual(1);
  });

  it('stops reading a connection whose queue is full: a flood is not parsed whole', async () => {
    let handled = 0;
    copy.server.server.on('request', () => (handled += 1));
    // 20,000 requests (about 560 KB) behind a first answer that never drains.
    writeFileSync(join(copy.root, 'big.bin'), Buffer.alloc(4 * MiB, 9));
    sockets.push(await pipelineFlood(copy.server.port, '/big.bin', 20_000));
    await afterServerCaughtUp(copy.server.port);
    // The queue limit, plus what arrived in the reads before the pause took effect (64 KiB each).
    expect(handled).toBeGreaterThan(MAX_QUEUED_PER_CONNECTION);
    expect(handled).toBeLessThan(10_000);
  });

  it('answers every pipelined request, in order, when the client reads', async () => {
    const hello = readFileSync(join(SITE, 'hello.txt'));
    const data = readFileSync(join(SITE, 'data.json'));
    const socket = await new Promise<Socket>((done) => {
      const opened = connect(copy.server.port, '127.0.0.1', () => done(opened));
    });
    sockets.push(socket);
    // Well past the queue limit, so the connection is paused and resumed on the way.
    const paths = Array.from({ length: 300 }, (_, index) => (index % 3 === 2 ? '/missing.txt' : index % 2 ? '/data.json' : '/hello.txt'));
    socket.write(paths.map((path) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`).join(''));
    const responses = await readResponses(socket, paths.length);
    const wrong = responses.filter(({ status, body }, index) => {
      const path = paths[index];
      if (path === '/missing.txt') return status !== 404;
      return status !== 200 || !body.equals(path === '/hello.txt' ? hello : data);
    });
    expect(responses).toHaveLength(paths.length);
    expect(wrong).toHaveLength(0);
  });
});

/** Descriptors and resident memory of a process, from /proc. */
function usage(pid: number): { fds: number; rssMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  return { fds: readdirSync(`/proc/${pid}/fd`).length, rssMiB: rssKiB / 1024 };
}

describe('a pipelining flood against the CLI', { timeout: 60_000 }, () => {
  const copy = useServedCopy();
  afterEach(stopAll);

  it('takes at most 40 descriptors and 150 MB from three connections of 1,000 unread downloads each, while another client is served', async () => {
    writeFileSync(join(copy.root, 'big.bin'), Buffer.alloc(4 * MiB, 3));
    const cli = startCli([copy.root, '-p', '0', '-H', '127.0.0.1', '--quiet']);
    const port = await cli.port();
    await afterServerCaughtUp(port);
    const before = usage(cli.child.pid!);

    const floods = await Promise.all([1, 2, 3].map(() => pipelineFlood(port, '/big.bin', 1000)));
    try {
      await afterServerCaughtUp(port);
      const other = await rawRequest(port, '/big.bin');
      expect(other.status).toBe(200);
      expect(other.body.length).toBe(4 * MiB);
      const during = usage(cli.child.pid!);
      expect(during.fds - before.fds).toBeLessThanOrEqual(40);
      expect(during.rssMiB - before.rssMiB).toBeLessThanOrEqual(150);
    } finally {
      for (const socket of floods) socket.destroy();
    }
  });
});

/** One request on a new keep-alive connection: the socket and how it went (an answer, or closed without one). */
function connectAndAsk(port: number, path: string): Promise<{ socket: Socket; outcome: 'answered' | 'no answer' }> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`));
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (text.includes('\r\n\r\n')) done({ socket, outcome: 'answered' });
    });
    socket.on('error', () => {});
    socket.on('close', () => done({ socket, outcome: text === '' ? 'no answer' : 'answered' }));
  });
}

/** A request on an open connection: the status line and headers of its answer. */
function askAgain(socket: Socket, path: string): Promise<string> {
  return new Promise((done, fail) => {
    let text = '';
    socket.removeAllListeners('data');
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end !== -1) done(text.slice(0, end));
    });
    socket.once('close', () => fail(new Error(`closed after ${JSON.stringify(text)}`)));
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
  });
}

// What the README says happens at the descriptor limit: new connections are accepted and closed by
// libuv without a word (no descriptor is left to answer on), a request that needs a file opened
// answers 503 with Retry-After, the server stays up and serves again once descriptors are free.
describe.skipIf(spawnSync('prlimit', ['--version']).status !== 0 && !process.env.CI)('at the descriptor limit', { timeout: 60_000 }, () => {
  const copy = useServedCopy();
  afterEach(stopAll);

  it('closes new connections without an answer, answers 503 where a file cannot be opened, and recovers', async () => {
    writeFileSync(join(copy.root, 'big.bin'), Buffer.alloc(MiB, 5));
    const cli = startCli([copy.root, '-p', '0', '-H', '127.0.0.1', '--quiet'], { wrapper: { command: 'prlimit', prefix: ['--nofile=64:64'] } });
    const port = await cli.port();
    const held: Socket[] = [];
    try {
      const outcomes = { answered: 0, 'no answer': 0 };
      for (let attempt = 0; attempt < 100 && outcomes['no answer'] < 5; attempt += 1) {
        const { socket, outcome } = await connectAndAsk(port, '/hello.txt');
        outcomes[outcome] += 1;
        if (outcome === 'answered') held.push(socket);
      }
      expect(outcomes.answered).toBeGreaterThan(10);
      expect(outcomes['no answer']).toBe(5);
      expect(cli.child.exitCode).toBeNull();

      expect(await askAgain(held[0]!, '/big.bin')).toMatch(/^HTTP\/1\.1 503 [^]*\r\nRetry-After: 1(\r\n|$)/i);

      // Once descriptors are free again (the server sees the closes soon after), it answers again.
      for (const socket of held.splice(0, 10)) socket.destroy();
      let again: Awaited<ReturnType<typeof connectAndAsk>> | undefined;
      for (let attempt = 0; attempt < 50 && again?.outcome !== 'answered'; attempt += 1) {
        again = await connectAndAsk(port, '/big.bin');
        held.push(again.socket);
      }
      expect(again?.outcome).toBe('answered');
    } finally {
      for (const socket of held) socket.destroy();
    }
  });
});
