// `--workers N`: a primary process forks N servers with node:cluster that share the listening endpoints.
// The first worker finds the ports (with the usual fallback); the rest bind those same ports; the
// primary prints the banner once all listen, replaces a worker that dies, and stops them all.
import cluster, { type Worker } from 'node:cluster';

/** Messages between the primary and its workers. */
export type WorkerMessage = { type: 'listening'; ports: number[]; shareAs: number[] } | { type: 'stop' };

/** Set in a worker's environment: the ports (one per endpoint, comma-separated) every worker after the first must bind. */
export const PORT_VARIABLE = 'TINY_SERVE_WORKER_PORT';

export interface PrimaryOptions {
  count: number;
  /** Called once every worker listens, with the port bound for each endpoint: print the banner. */
  onListening(ports: number[]): void;
  /** How long workers get to finish in-flight responses after a stop. */
  graceMs: number;
  log(line: string): void;
}

/**
 * Restart back-off: a worker that dies within `stableMs` of its start is replaced after `firstMs`,
 * then twice as long each time it happens again, up to `maxMs`; one that ran longer is replaced at once.
 */
export const RESTART = { firstMs: 100, maxMs: 10_000, stableMs: 60_000 } as const;

/**
 * Runs the primary: forks the first worker, then the others on the port it bound. Exits with the
 * first worker's exit code if it never listens (it has printed its one-line error already).
 */
export function runPrimary({ count, onListening, graceMs, log }: PrimaryOptions): void {
  /** What the other workers pass to listen: the ports the first one bound, or 0 where it asked for 0
   * (the cluster shares one handle per requested address and port, so they must ask the same). */
  let ports: number[] | undefined;
  let stopping = false;
  /** How long the next restart waits: workers that keep dying young are restarted ever more slowly. */
  let restartDelay = 0;

  const fork = (): Worker => {
    const worker = cluster.fork(ports === undefined ? {} : { [PORT_VARIABLE]: ports.join(',') });
    const started = Date.now();
    worker.on('exit', (code) => {
      if (stopping) return;
      if (ports === undefined) process.exit(code ?? 1);
      restartDelay = Date.now() - started >= RESTART.stableMs ? 0 : Math.min(Math.max(restartDelay * 2, RESTART.firstMs), RESTART.maxMs);
      log(`worker ${worker.process.pid} exited (${code}); starting another${restartDelay > 0 ? ` in ${restartDelay / 1000} s` : ''}`);
      setTimeout(() => {
        if (!stopping) fork();
      }, restartDelay);
    });
    return worker;
  };

  // The banner waits until every worker listens: when it shows, the whole pool is serving.
  let listening = 0;
  let bound: number[] = [];
  const onMessage = (message: WorkerMessage): void => {
    if (message.type !== 'listening' || listening >= count) return;
    listening += 1;
    if (ports === undefined) {
      ports = message.shareAs;
      bound = message.ports;
      for (let index = 1; index < count; index += 1) fork().on('message', onMessage);
    }
    if (listening === count) onListening(bound);
  };
  fork().on('message', onMessage);

  const stop = (): void => {
    const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined);
    if (stopping) {
      for (const worker of workers) worker.process.kill('SIGKILL');
      process.exit(130);
    }
    stopping = true;
    log('stopping (Ctrl+C again to force)');
    let remaining = workers.length;
    if (remaining === 0) process.exit(0);
    for (const worker of workers) {
      worker.once('exit', () => {
        remaining -= 1;
        if (remaining === 0) process.exit(0);
      });
      worker.send({ type: 'stop' } satisfies WorkerMessage);
    }
    // Workers force-close after graceMs themselves; this is the backstop.
    setTimeout(() => {
      for (const worker of workers) worker.process.kill('SIGKILL');
      process.exit(0);
    }, graceMs + 2_000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** In a worker: the port to bind (strictly) for each endpoint, when the primary has fixed them. */
export function assignedPorts(): number[] | undefined {
  const value = process.env[PORT_VARIABLE];
  return cluster.isWorker && value !== undefined ? value.split(',').map(Number) : undefined;
}

/**
 * In a worker: reports the bound ports and stops on the primary's message. Signals are left to the
 * primary (a terminal's Ctrl-C reaches the whole process group), so each is stopped exactly once.
 */
export function serveAsWorker(ports: number[], shareAs: number[], stop: () => void): void {
  process.send?.({ type: 'listening', ports, shareAs } satisfies WorkerMessage);
  process.on('message', (message: WorkerMessage) => {
    if (message.type === 'stop') stop();
  });
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {});
}

export const isWorker = (): boolean => cluster.isWorker;
