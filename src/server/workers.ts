// `--workers N`: a primary process forks N servers with node:cluster that share the listening endpoints.
// The first worker finds the ports (with the usual fallback); the rest bind those same ports; the
// primary prints the banner once all listen, replaces a worker that dies, and stops them all.
import cluster, { type Worker } from 'node:cluster';
import { CLOSE_GRACE_MS } from './server.js';

/** Messages between the primary and its workers. */
export type WorkerMessage = { type: 'listening'; ports: number[]; addresses: string[]; shareAs: number[] } | { type: 'stop' };

/** Set in a worker's environment: the ports (one per endpoint, comma-separated) every worker after the first must bind. */
export const PORT_VARIABLE = 'TINY_SERVE_WORKER_PORT';

export interface PrimaryOptions {
  count: number;
  /**
   * Called once every worker listens (never after a stop), with the port and the address bound for
   * each endpoint: print the banner.
   */
  onListening(ports: number[], addresses: string[]): void;
  log(line: string): void;
  /** Added to every worker's environment (--ssl hands its certificate on this way). */
  env?: Record<string, string>;
}

/**
 * Restart back-off: a worker that dies within `stableMs` of its start is replaced after `firstMs`,
 * then twice as long each time it happens again, up to `maxMs`; one that ran longer is replaced at once.
 */
export const RESTART = { firstMs: 100, maxMs: 10_000, stableMs: 60_000 } as const;

/**
 * How long past the grace period the primary waits for a stopped worker before killing it: a worker
 * cuts its last connections at CLOSE_GRACE_MS itself, so this only covers one that hangs.
 */
const STOP_MARGIN_MS = 500;

/** Why a worker ended, for people: `SIGKILL`, or `code 1`. */
export function exitReason(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ?? `code ${code ?? 'unknown'}`;
}

/**
 * Runs the primary: forks the first worker, then the others on the port it bound. Exits with the
 * first worker's exit code if it never listens (it has printed its one-line error already).
 */
export function runPrimary({ count, onListening, log, env = {} }: PrimaryOptions): void {
  /** What the other workers pass to listen: the ports the first one bound, or 0 where it asked for 0
   * (the cluster shares one handle per requested address and port, so they must ask the same). */
  let ports: number[] | undefined;
  let stopping = false;
  /** How long the next restart waits: workers that keep dying young are restarted ever more slowly. */
  let restartDelay = 0;

  const fork = (): Worker => {
    const worker = cluster.fork(ports === undefined ? env : { ...env, [PORT_VARIABLE]: ports.join(',') });
    const started = Date.now();
    worker.on('exit', (code, signal: NodeJS.Signals | null) => {
      if (stopping) return;
      if (ports === undefined) process.exit(code ?? 1);
      restartDelay = Date.now() - started >= RESTART.stableMs ? 0 : Math.min(Math.max(restartDelay * 2, RESTART.firstMs), RESTART.maxMs);
      log(`worker ${worker.process.pid} exited (${exitReason(code, signal)}); starting another${restartDelay > 0 ? ` in ${restartDelay / 1000} s` : ''}`);
      setTimeout(() => {
        if (!stopping) fork();
      }, restartDelay);
    });
    return worker;
  };

  const stop = (): void => {
    // Only workers still running: one that died and awaits its restart has no exit left to wait for.
    const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined && !worker.isDead());
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
      // A listening worker finishes its responses on the message and ignores the signal; one still
      // starting has nothing in flight and leaves on either (the signal even before it can read messages).
      worker.send({ type: 'stop' } satisfies WorkerMessage, () => {});
      worker.process.kill('SIGTERM');
    }
    setTimeout(() => {
      for (const worker of workers) worker.process.kill('SIGKILL');
      process.exit(0);
    }, CLOSE_GRACE_MS + STOP_MARGIN_MS).unref();
  };
  // Before the first fork: a signal at any moment from here on stops the pool cleanly.
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  // The banner waits until every worker listens: when it shows, the whole pool is serving.
  let listening = 0;
  let first: Extract<WorkerMessage, { type: 'listening' }> | undefined;
  const onMessage = (message: WorkerMessage): void => {
    if (stopping || message.type !== 'listening' || listening >= count) return;
    listening += 1;
    if (ports === undefined) {
      ports = message.shareAs;
      first = message;
      for (let index = 1; index < count; index += 1) fork().on('message', onMessage);
    }
    if (listening === count) onListening(first!.ports, first!.addresses);
  };
  fork().on('message', onMessage);
}

/** In the primary: passes a signal on to every running worker (SIGHUP: reopen --log-file). */
export function signalWorkers(signal: NodeJS.Signals): void {
  for (const worker of Object.values(cluster.workers ?? {})) {
    if (worker && !worker.isDead()) worker.process.kill(signal);
  }
}

/** In a worker: the port to bind (strictly) for each endpoint, when the primary has fixed them. */
export function assignedPorts(): number[] | undefined {
  const value = process.env[PORT_VARIABLE];
  return cluster.isWorker && value !== undefined ? value.split(',').map(Number) : undefined;
}

/**
 * In a worker, first thing (before any await, so no stop from the primary is missed): until the
 * worker listens, a stop message or signal exits at once, as nothing is in flight yet. Returns the
 * function to call once listening: it reports the bound ports and addresses, and from then on the
 * primary's stop message calls `stop`. Signals are then left to the primary (a terminal's Ctrl-C
 * reaches the whole process group), so each worker is stopped exactly once.
 */
export function joinPool(): (ports: number[], addresses: string[], shareAs: number[], stop: () => void) => void {
  let stopListening: (() => void) | undefined;
  process.on('message', (message: WorkerMessage) => {
    if (message.type !== 'stop') return;
    if (stopListening) stopListening();
    else process.exit(0);
  });
  const onSignal = (): void => {
    if (!stopListening) process.exit(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return (ports, addresses, shareAs, stop) => {
    stopListening = stop;
    process.send?.({ type: 'listening', ports, addresses, shareAs } satisfies WorkerMessage);
  };
}

export const isWorker = (): boolean => cluster.isWorker;
