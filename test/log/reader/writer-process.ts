/**
 * writer-worker.ts as a child process with its output collected: the
 * writer that the subscription tests across a SIGKILLed writer start
 * (subscribe.test.ts, mixed-ensembles.test.ts).
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../support/targets.js';

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'writer-worker.js');

export interface WriterProcess {
  /** Waits for READY (the log is open); the timeout's error carries the worker's stderr. */
  ready(timeout: number): Promise<void>;
  /** Lines printed on stdout so far (READY and every acknowledgement), as `split('\n')` counts them. */
  outputLines(): number;
  /** Every entry the worker printed as acknowledged, as its text (`w <i>`). */
  acked(): string[];
  /** What the worker printed on stderr so far. */
  stderr(): string;
  /** SIGKILLs the worker (if it still runs) and waits for its exit. */
  kill(): Promise<void>;
}

/** Starts a writer of log `name` (3/3/2) through `coordination`. */
export function startWriterProcess(coordination: string, name: string): WriterProcess {
  const child = spawn(process.execPath, [WORKER, coordination, name], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    ready: (timeout) =>
      waitFor(() => out.startsWith('READY\n'), timeout, 'the worker opens the log').catch((error: unknown) => {
        throw new Error(`${String(error)}: ${err}`);
      }),
    outputLines: () => out.split('\n').length,
    acked: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('A '))
        .map((l) => `w ${l.slice(2)}`),
    stderr: () => err,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
