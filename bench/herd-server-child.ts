/**
 * Herd's server as a bench child process: the same `startServer` the `herd
 * server` CLI runs (fsync on, durable data dir), plus an IPC channel so the
 * bench can ask for memory figures after a full GC and stop it cleanly (which
 * lets `--cpu-prof` write its profile).
 *
 * Usage (by bench/servers.ts): node --expose-gc herd-server-child.js <port> <dataDir>
 */
import { startServer } from '../src/server/server.js';

export type ChildRequest = { type: 'memory' } | { type: 'stop' };
export type ChildMessage =
  | { type: 'ready'; port: number; ms: number }
  | { type: 'memory'; rss: number; heapUsed: number; external: number; arrayBuffers: number };

async function main(): Promise<void> {
  const started = performance.now();
  const [portText, dataDir] = process.argv.slice(2);
  if (portText === undefined || dataDir === undefined) throw new Error('usage: herd-server-child <port> <dataDir>');
  const handle = await startServer({
    port: Number(portText),
    host: '127.0.0.1',
    dataDir,
    forceSync: true,
    logLevel: 'warn',
  });
  const send = (m: ChildMessage): void => {
    process.send?.(m);
  };
  process.on('message', (m: ChildRequest) => {
    if (m.type === 'memory') {
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      gc?.();
      const u = process.memoryUsage();
      send({ type: 'memory', rss: u.rss, heapUsed: u.heapUsed, external: u.external, arrayBuffers: u.arrayBuffers });
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
