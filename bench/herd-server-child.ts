/**
 * Herd's server as a bench child process: the same `startServer` the `herd
 * server` CLI runs (fsync on, durable data dir), plus an IPC channel so the
 * bench can ask for memory figures after a full GC and stop it cleanly (which
 * lets `--cpu-prof` write its profile). Memory is measured once no snapshot
 * is being written (see snapshotsDone). On each start it prints where the
 * start-up time went (module load, snapshot read and decode, log replay,
 * the rest until listening) on stderr.
 *
 * Usage (by bench/servers.ts): node --expose-gc herd-server-child.js <port> <dataDir>
 */
import { readdir } from 'node:fs/promises';
import { createLogger, type Logger } from '../src/server/logger.js';
import { startServer } from '../src/server/server.js';

export type ChildRequest = { type: 'memory' } | { type: 'stop' };
export type ChildMessage =
  | { type: 'ready'; port: number; ms: number }
  | { type: 'memory'; rss: number; heapUsed: number; external: number; arrayBuffers: number };

/** Warnings and errors as `herd server --log-level warn` prints them; the recovery's phase timings kept for the start-up line. */
function phaseLogger(phases: Record<string, unknown>): Logger {
  const base = createLogger('warn');
  const keep = (obj: object, msg?: string): void => {
    if (msg === 'recovery phases' || msg === 'data directory loaded') Object.assign(phases, obj);
  };
  return { debug: keep, info: keep, warn: (o, m) => base.warn(o, m), error: (o, m) => base.error(o, m) };
}

/** Longest wait for a snapshot in progress before memory is measured anyway, ms. */
const SNAPSHOT_WAIT = 120_000;

/**
 * Resolves once no snapshot is being written to `dataDir` (the server writes
 * one to a `.tmp` file and renames it when done), and says how long that
 * took. A snapshot started by the last creates of a run is often still
 * being written when the bench asks for memory, and its buffers (the chunk
 * being filled, the one being written, the piece read back for the
 * checksum: 1-3 MiB) are not the tree's: at a million znodes they added
 * 1-3 B to the heap-per-znode figure, varying with where the snapshot was.
 * Resolves to the time waited, ms, or null if no snapshot was in progress.
 */
async function snapshotsDone(dataDir: string): Promise<number | null> {
  const started = performance.now();
  let waited = false;
  while (performance.now() - started < SNAPSHOT_WAIT) {
    const names = await readdir(dataDir);
    if (!names.some((n) => n.startsWith('snapshot.') && n.endsWith('.tmp'))) break;
    waited = true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return waited ? performance.now() - started : null;
}

async function main(): Promise<void> {
  // performance.now() counts from the process's start: this is the time spent loading modules.
  const started = performance.now();
  const [portText, dataDir] = process.argv.slice(2);
  if (portText === undefined || dataDir === undefined) throw new Error('usage: herd-server-child <port> <dataDir>');
  const phases: Record<string, unknown> = {};
  const handle = await startServer({
    port: Number(portText),
    host: '127.0.0.1',
    dataDir,
    forceSync: true,
    logger: phaseLogger(phases),
  });
  const listening = performance.now();
  const ms = (v: unknown): string => (typeof v === 'number' ? String(Math.round(v)) : '?');
  const loaded = typeof phases['ms'] === 'number' ? phases['ms'] : NaN;
  process.stderr.write(
    `herd-server-child: listening ${Math.round(listening)} ms after process start: modules ${Math.round(started)}, ` +
      `snapshot read ${ms(phases['snapshotReadMs'])} + decode ${ms(phases['snapshotDecodeMs'])}, ` +
      `log replay ${ms(phases['replayMs'])} (${ms(phases['txnsReplayed'])} txns), ` +
      `other start-up ${Math.round(listening - started - loaded)} ms\n`,
  );
  const send = (m: ChildMessage): void => {
    process.send?.(m);
  };
  const measure = async (): Promise<void> => {
    const waited = await snapshotsDone(dataDir);
    if (waited !== null) process.stderr.write(`herd-server-child: measured memory after waiting ${Math.round(waited)} ms for a snapshot to be written\n`);
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
    const u = process.memoryUsage();
    send({ type: 'memory', rss: u.rss, heapUsed: u.heapUsed, external: u.external, arrayBuffers: u.arrayBuffers });
  };
  process.on('message', (m: ChildRequest) => {
    if (m.type === 'memory') {
      void measure();
    } else if (m.type === 'stop') {
      void handle.close().finally(() => process.exit(0));
    }
  });
  // Without the parent there is nothing to serve: don't linger.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', port: handle.port, ms: performance.now() - started });
}

main().catch((err: unknown) => {
  process.stderr.write(`herd-server-child: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
