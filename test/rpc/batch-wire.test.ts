/**
 * What a batch puts on the wire, seen by a raw peer (no coordination
 * server): one BATCH frame for all its calls, each answered and settled on
 * its own, in any order.
 */
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { Connection } from '../../src/rpc/connection.js';
import { RemoteError } from '../../src/rpc/index.js';
import { HerdCodec } from '../../src/rpc/codec.js';
import { FrameReader, frame } from '../../src/rpc/frames.js';
import type { Message } from '../../src/rpc/protocol.js';

test('a batch is one BATCH frame; its calls settle one by one, whatever the order of the replies', async () => {
  const codec = new HerdCodec();
  const frames: Message[] = [];
  let peer!: Socket;
  const gotBatch = new Promise<void>((resolve) => {
    const server = createServer((socket) => {
      peer = socket;
      const reader = new FrameReader();
      socket.on('data', (chunk: Buffer) => {
        for (const p of reader.push(chunk)) {
          const m = codec.decode(p);
          frames.push(m);
          if (m.kind === 'hello') socket.write(frame(codec.encode({ kind: 'hello', version: 1, identifier: 'raw' })));
          if (m.kind === 'batch') resolve();
        }
      });
    });
    server.listen(0, '127.0.0.1', async () => {
      server.unref();
      const { port } = server.address() as { port: number };
      conn = await Connection.open(`127.0.0.1:${port}`, 'batcher');
      ready();
    });
  });
  let conn!: Connection;
  let ready!: () => void;
  await new Promise<void>((r) => (ready = r));
  const replies = conn.batch(
    [
      { target: 'svc', method: 'a', args: [1] },
      { target: 'svc', method: 'b', args: [] },
      { target: 'svc', method: 'c', args: ['x'] },
    ],
    { timeout: 10000 },
  );
  await gotBatch;
  const calls = frames.filter((m) => m.kind !== 'hello');
  assert.equal(calls.length, 1, 'one frame for the whole batch');
  const batchFrame = calls[0]!;
  assert.ok(batchFrame.kind === 'batch');
  assert.deepEqual(
    batchFrame.calls.map((c) => [c.method, c.args]),
    [['a', [1]], ['b', []], ['c', ['x']]],
  );
  const [a, b, c] = batchFrame.calls.map((call) => call.id);
  peer.write(frame(codec.encode({ kind: 'result', id: c!, value: 'third' })));
  assert.equal(await replies[2], 'third', 'the last call settles first, alone');
  peer.write(frame(codec.encode({ kind: 'error', id: b!, error: { name: 'QuotaError', message: 'no', code: 'QUOTA' } })));
  peer.write(frame(codec.encode({ kind: 'result', id: a!, value: 1 })));
  assert.equal(await replies[0], 1);
  await assert.rejects(replies[1]!, (e: unknown) => e instanceof RemoteError && e.code === 'QUOTA');
  await conn.close();
  peer.destroy();
});
