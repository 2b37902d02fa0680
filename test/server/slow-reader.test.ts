import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { createClient } from '../../src/client/index.js';
import { JuteReader } from '../../src/jute/reader.js';
import { ConnectResponseCodec, type ConnectResponse } from '../../src/jute/records/connect.js';
import type { Logger } from '../../src/server/logger.js';
import { startServer, type ServerHandle, serverInstance } from '../../src/server/server.js';
import { connectFrame, handshake, openSocket, requestFrame } from './wire.js';

/**
 * A client that stops reading while its watches fire: the notifications
 * cannot be held back by not reading its requests (other clients' writes
 * cause them), so once its unsent output passes maxSendBuffer the server
 * closes that connection with a warning. The session survives (it can
 * resume), other clients are served throughout, and the server never holds
 * much more than the limit for it. A control run without the limit shows the
 * same traffic would pile up far more.
 */

const KiB = 1024;
const MiB = 1024 * KiB;
/** Watches of the slow client; each notification carries its ~2 KB path: ~16 MB in all, far past the kernel's socket buffers. */
const WATCHES = 8_000;
const PAD = 'p'.repeat(2_000);

const pathOf = (i: number) => `/slow-${PAD}-${i}`;

function capturingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const put = (obj: object, msg?: string) => lines.push(`${msg ?? ''} ${JSON.stringify(obj, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`);
  return { lines, debug: () => {}, info: put, warn: put, error: put };
}

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Sets an exists watch on every path (none exists yet) and reads the replies; then stops reading. */
async function watchAll(socket: Socket): Promise<void> {
  let replies = 0;
  let buf: Buffer = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
      buf = buf.subarray(4 + buf.readInt32BE(0));
      replies++;
    }
  };
  socket.on('data', onData);
  socket.resume();
  for (let i = 0; i < WATCHES; i++) socket.write(requestFrame(i + 1, 'exists', { path: pathOf(i), watch: true }));
  await waitFor(() => replies === WATCHES, 60_000, 'every exists answered');
  socket.off('data', onData);
  socket.pause();
}

/** Creates every watched node from a client that reads normally; samples the slow connection's unsent bytes meanwhile. */
async function fireAll(zk: ServerHandle, sessionId: bigint): Promise<{ maxUnsent: number; witnessOk: boolean }> {
  const witness = createClient(zk.connectionString, { sessionTimeout: 30_000 });
  await witness.connect();
  let maxUnsent = 0;
  const sample = () => {
    for (const conn of serverInstance(zk).allConnections()) if (conn.sessionId === sessionId) maxUnsent = Math.max(maxUnsent, conn.sendBacklog);
  };
  const timer = setInterval(sample, 1);
  try {
    for (let i = 0; i < WATCHES; i += 200) {
      const batch = [];
      for (let j = i; j < Math.min(WATCHES, i + 200); j++) batch.push(witness.create(pathOf(j), Buffer.from('v')));
      await Promise.all(batch);
      sample();
    }
    // The witness is served as usual.
    const witnessOk = (await witness.getData(pathOf(0))).data?.toString() === 'v';
    return { maxUnsent, witnessOk };
  } finally {
    clearInterval(timer);
    await witness.close();
  }
}

/** Resumes a session on a new connection; the ConnectResponse. */
async function resume(port: number, sessionId: bigint, passwd: Buffer): Promise<ConnectResponse> {
  const socket = await openSocket(port);
  try {
    return await new Promise<ConnectResponse>((resolve, reject) => {
      let buf: Buffer = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        if (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) resolve(ConnectResponseCodec.read(new JuteReader(buf.subarray(4, 4 + buf.readInt32BE(0)))));
      });
      socket.on('close', () => reject(new Error('closed before the ConnectResponse')));
      socket.write(connectFrame(30_000, sessionId, passwd));
    });
  } finally {
    socket.destroy();
  }
}

describe('a client that stops reading while its watches fire', () => {
  it('is disconnected once its unsent output passes maxSendBuffer; its session survives and others are served', async () => {
    const logger = capturingLogger();
    const limit = 1 * MiB;
    const zk = await startServer({ host: '127.0.0.1', port: 0, logger, maxSendBuffer: limit });
    try {
      const { socket, response } = await handshake(zk.port, { timeout: 30_000 });
      await watchAll(socket);
      const { maxUnsent, witnessOk } = await fireAll(zk, response.sessionId);
      assert.ok(witnessOk, 'the witness read its own write');
      await waitFor(() => ![...serverInstance(zk).allConnections()].some((c) => c.sessionId === response.sessionId), 10_000, 'the slow connection closed');
      // The limit, plus at most the one notification that crossed it.
      assert.ok(maxUnsent <= limit + 4 * KiB, `at most the limit held for the slow client, saw ${maxUnsent}`);
      assert.ok(
        logger.lines.some((l) => l.includes('client is not reading') && l.includes(`"sessionId":"${response.sessionId}"`)),
        logger.lines.join('\n'),
      );
      // Its session is still there: it resumes on a new connection.
      assert.ok(serverInstance(zk).sessions.get(response.sessionId), 'the session survives the disconnect');
      const resumed = await resume(zk.port, response.sessionId, response.passwd);
      assert.equal(resumed.sessionId, response.sessionId);
      assert.ok(resumed.timeOut > 0, 'resumed, not expired');
      socket.destroy();
    } finally {
      await zk.close();
    }
  });

  it('control: without the limit the same traffic leaves many times more unsent for it', async () => {
    const zk = await startServer({ host: '127.0.0.1', port: 0, logLevel: 'silent', maxSendBuffer: 1024 * MiB });
    try {
      const { socket, response } = await handshake(zk.port, { timeout: 30_000 });
      await watchAll(socket);
      const { maxUnsent } = await fireAll(zk, response.sessionId);
      assert.ok(maxUnsent > 4 * MiB, `unsent output grows with the notifications: ${maxUnsent}`);
      assert.ok([...serverInstance(zk).allConnections()].some((c) => c.sessionId === response.sessionId), 'still connected');
      socket.destroy();
    } finally {
      await zk.close();
    }
  });
});
