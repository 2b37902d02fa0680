import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createClient, type Client } from '../../src/client/index.js';
import type { Logger } from '../../src/server/logger.js';
import { startServer, serverInstance } from '../../src/server/server.js';
import { freePort } from '../support/ports.js';
import { closedWithin, handshake, openSocket, requestFrame, rssOf } from './wire.js';

/**
 * Limits: connections per client IP, unanswered requests (backpressure by
 * no longer reading sockets), and clients that never read their replies.
 * The load test runs the server as a child `herd server` so its memory can
 * be read from /proc without the test's own sockets mixed in.
 */

const CLI = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');
const MiB = 1024 * 1024;

function capturingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const put = (obj: object, msg?: string) => lines.push(`${msg ?? ''} ${JSON.stringify(obj)}`);
  return { lines, debug: () => {}, info: put, warn: put, error: put };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(20);
  }
  throw new Error(`${what} not met within ${timeoutMs} ms`);
}

/** Reads reply frames from a socket; counts them and keeps their xids. */
function replyCounter(socket: Socket): { xids: number[] } {
  const state = { xids: [] as number[] };
  let buf: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
      const len = buf.readInt32BE(0);
      state.xids.push(buf.readInt32BE(4));
      buf = buf.subarray(4 + len);
    }
  });
  socket.resume();
  return state;
}

describe('server limits', () => {
  it('maxClientConnections: the connection over the per-IP limit is closed at accept with a log line; other IPs are not affected', async () => {
    const logger = capturingLogger();
    const handle = await startServer({ port: 0, host: '0.0.0.0', logger, maxClientConnections: 5 });
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < 5; i++) sockets.push((await handshake(handle.port)).socket);
      // The sixth from 127.0.0.1: closed before any handshake.
      const extra = await openSocket(handle.port);
      assert.equal(await closedWithin(extra, 2000), true, 'the sixth connection is closed');
      await assert.rejects(handshake(handle.port), /closed/);
      assert.ok(logger.lines.some((l) => /too many connections from 127\.0\.0\.1, max is 5/.test(l)), logger.lines.join('\n'));
      // Another client address is counted on its own.
      const other = await handshake(handle.port, { localAddress: '127.0.0.2' });
      assert.ok(other.response.sessionId !== 0n);
      sockets.push(other.socket);
      // A slot freed is a slot again.
      sockets.shift()!.destroy();
      await waitFor(async () => {
        try {
          sockets.push((await handshake(handle.port)).socket);
          return true;
        } catch {
          return false;
        }
      }, 5000, 'a freed slot');
      assert.equal(serverInstance(handle).connectionCount, 6);
    } finally {
      for (const s of sockets) s.destroy();
      await handle.close();
    }
  });

  it('a connection that never completes its handshake is closed after 10 s (sessionlessCnxnTimeout), freeing its slot', async () => {
    const handle = await startServer({ port: 0, host: '127.0.0.1', logLevel: 'silent', maxClientConnections: 2 });
    try {
      const half = await openSocket(handle.port);
      half.write(Buffer.from([0, 0, 0, 45, 0, 0])); // a ConnectRequest's length, then 2 of its 45 bytes
      const silent = await openSocket(handle.port);
      const started = Date.now();
      assert.equal(await closedWithin(half, 12_000), true);
      assert.equal(await closedWithin(silent, 1000), true);
      const waited = Date.now() - started;
      assert.ok(waited >= 9000 && waited < 12_000, `closed after ${waited} ms`);
      // Both slots are free again.
      const a = await handshake(handle.port);
      const b = await handshake(handle.port);
      a.socket.destroy();
      b.socket.destroy();
    } finally {
      await handle.close();
    }
  });

  it('maxOutstandingRequests: with replies held, the server stops reading at the limit, and serves everything in order once they flow', async () => {
    const handle = await startServer({ port: 0, host: '127.0.0.1', logLevel: 'silent', maxOutstandingRequests: 100 });
    const { socket } = await handshake(handle.port);
    try {
      const replies = replyCounter(socket);
      serverInstance(handle).pause();
      const N = 3000;
      const frames: Buffer[] = [];
      for (let xid = 1; xid <= N; xid++) frames.push(requestFrame(xid, 'exists', { path: `/n${xid}`, watch: false }));
      socket.write(Buffer.concat(frames));
      await waitFor(() => serverInstance(handle).outstandingRequests >= 100, 5000, 'the limit reached');
      await sleep(200);
      // Exactly the limit was taken in; the rest waits in the socket buffers, not in the server.
      assert.equal(serverInstance(handle).outstandingRequests, 100);
      assert.equal(serverInstance(handle).throttledConnectionCount, 1);
      assert.equal(replies.xids.length, 0);
      serverInstance(handle).resume();
      await waitFor(() => replies.xids.length === N, 10_000, 'every reply');
      assert.deepEqual(replies.xids, Array.from({ length: N }, (_, i) => i + 1));
      assert.equal(serverInstance(handle).outstandingRequests, 0);
      assert.equal(serverInstance(handle).throttledConnectionCount, 0);
    } finally {
      socket.destroy();
      await handle.close();
    }
  });

  it('a client that never reads its replies is paused at the send-buffer mark; the server stops reading it', async () => {
    const handle = await startServer({ port: 0, host: '127.0.0.1', logLevel: 'silent', sendBufferHighWaterMark: 256 * 1024 });
    const setup = createClient(handle.connectionString);
    await setup.connect();
    await setup.create('/big', Buffer.alloc(64 * 1024, 7));
    const { socket } = await handshake(handle.port);
    try {
      const N = 1000; // 1000 × 64 KiB = 62 MiB of replies if nothing pushed back
      const frames: Buffer[] = [];
      for (let xid = 1; xid <= N; xid++) frames.push(requestFrame(xid, 'getData', { path: '/big', watch: false }));
      socket.write(Buffer.concat(frames));
      await waitFor(() => serverInstance(handle).throttledConnectionCount === 1, 5000, 'the slow reader throttled');
      await sleep(300);
      const conn = [...serverInstance(handle).allConnections()].find((c) => c.remotePort === socket.localPort)!;
      // What the server holds for it: the mark plus at most one reply.
      assert.ok(conn.socket.writableLength <= 256 * 1024 + 70 * 1024, `queued ${conn.socket.writableLength}`);
      assert.ok(conn.sent < N / 2, `answered ${conn.sent} of ${N} while the client read nothing`);
      // Others are served meanwhile.
      const started = performance.now();
      for (let i = 0; i < 50; i++) await setup.setData('/big', Buffer.alloc(64 * 1024, i));
      assert.ok(performance.now() - started < 5000);
      // Reading resumes the flow: every reply arrives, in order.
      const replies = replyCounter(socket);
      await waitFor(() => replies.xids.length === N, 20_000, 'every reply to the slow reader');
      assert.deepEqual(replies.xids.slice(0, 5), [1, 2, 3, 4, 5]);
      assert.equal(replies.xids.at(-1), N);
    } finally {
      socket.destroy();
      await setup.close();
      await handle.close();
    }
  });

  it('under 400 idle and 8 never-reading connections (40,000 requests for 100 KiB each) the server answers others promptly and its RSS stays bounded', async () => {
    const port = await freePort();
    const dataDir = await mkdtemp(join(tmpdir(), 'herd-limits-'));
    const child: ChildProcess = spawn(
      process.execPath,
      [CLI, 'server', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn', '--max-client-connections', '1000'],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const sockets: Socket[] = [];
    let client: Client | null = null;
    try {
      await waitFor(async () => {
        try {
          (await openSocket(port)).destroy();
          return true;
        } catch {
          return false;
        }
      }, 10_000, 'child server listening');
      client = createClient(`127.0.0.1:${port}`, { sessionTimeout: 30_000 });
      await client.connect();
      await client.create('/big', Buffer.alloc(100 * 1024, 1));
      const rssStart = await rssOf(child.pid!);

      // Idle: sessions that say nothing more.
      for (let i = 0; i < 400; i++) sockets.push((await handshake(port, { timeout: 40_000 })).socket);
      // Slow: each pipelines 5000 getData of 100 KiB and never reads a byte (488 MiB of replies each).
      const slowCount = 8;
      const perSlow = 5000;
      const frames: Buffer[] = [];
      for (let xid = 1; xid <= perSlow; xid++) frames.push(requestFrame(xid, 'getData', { path: '/big', watch: false }));
      const batch = Buffer.concat(frames);
      for (let i = 0; i < slowCount; i++) {
        const { socket } = await handshake(port, { timeout: 40_000 });
        sockets.push(socket);
        socket.write(batch);
      }
      await sleep(1500);

      // A normal client, meanwhile: reads and writes answered promptly.
      const latencies: number[] = [];
      for (let i = 0; i < 200; i++) {
        const t = performance.now();
        if (i % 2 === 0) await client.setData('/probe', String(i)).catch(async () => client!.create('/probe', String(i)));
        else await client.getData('/probe');
        latencies.push(performance.now() - t);
      }
      latencies.sort((a, b) => a - b);
      const p50 = latencies[100]!;
      const max = latencies.at(-1)!;
      const rssEnd = await rssOf(child.pid!);
      const growth = rssEnd - rssStart;
      process.stdout.write(
        `# limits: ${sockets.length} connections (${slowCount} never reading, ${slowCount * perSlow} requests = ${Math.round((slowCount * perSlow * 100) / 1024)} MiB of replies asked for); ` +
          `probe p50 ${p50.toFixed(2)} ms, max ${max.toFixed(1)} ms; server RSS ${(rssStart / MiB).toFixed(0)} → ${(rssEnd / MiB).toFixed(0)} MiB\n`,
      );
      assert.ok(max < 1000, `slowest probe ${max} ms`);
      assert.ok(p50 < 50, `median probe ${p50} ms`);
      // Unbounded, the replies asked for would take ~3.9 GiB; bounded: a few MiB per slow connection.
      assert.ok(growth < 150 * MiB, `server RSS grew ${(growth / MiB).toFixed(0)} MiB`);
      assert.equal(child.exitCode, null, 'the server is still running');
    } finally {
      for (const s of sockets) s.destroy();
      await client?.close().catch(() => {});
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
