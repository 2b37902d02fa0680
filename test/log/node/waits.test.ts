/**
 * What a storage node keeps while requests of one connection wait, and
 * after that connection goes away: one listener per connection however many
 * requests wait (stalled range reads waiting for the socket to drain, long
 * polls), and nothing once it closes. Tables nodes that restarted left
 * long polls behind on the storage nodes, and CI printed
 * MaxListenersExceededWarning; this test fails on that warning.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { connectLogNode } from '../../../src/log/index.js';
import { encodeFrame } from '../../../src/log/protocol/frame.js';
import { Messages } from '../../../src/log/protocol/index.js';
import { forEachTarget, waitFor } from '../../support/targets.js';
import { RawConnection, removeDirs, startTestNode, tempDir } from './support.js';

/** Requests of each kind left waiting on one connection: past EventEmitter's limit of 10 listeners. */
const WAITS = 20;

async function requestsDone(metricsPort: number, kind: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`herd_log_node_requests_total{kind="${kind}",status="OK"} `));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

forEachTarget('log node: waiting requests of one connection', (target) => {
  after(removeDirs);

  it('stalled range reads and long polls add no listener each, and end when their connection closes', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => {
      if (w.name === 'MaxListenersExceededWarning') warnings.push(w.message);
    };
    process.on('warning', onWarning);
    try {
      await using node = await startTestNode(target().connectionString, await tempDir('waits'), { metricsPort: 0, gcInterval: 0 });
      await using client = await connectLogNode(node.address, { timeout: 10_000 });
      // 8 MiB in segment 1: each range read of it fills the socket's buffers many times over.
      const data = Buffer.alloc(4096, 1);
      for (let e = 0; e < 2048; e += 256) {
        await client.addEntries({ segmentId: 1, firstEntryId: e, lastAddConfirmed: e - 1, entries: Array.from({ length: 256 }, (_, i) => ({ timestamp: 1000 + e + i, data })) });
      }
      const raw = await RawConnection.connect(node.port);
      // Reads nothing: the node's replies back up and every range read waits for a drain that never comes.
      raw.socket.pause();
      const frames: Buffer[] = [];
      for (let i = 0; i < WAITS; i++) frames.push(encodeFrame(Messages.WaitConfirmed.kind, 100 + i, 0, Messages.WaitConfirmed.request, { segmentId: 2, afterEntry: 0, timeout: 30_000 }));
      for (let i = 0; i < WAITS; i++) frames.push(encodeFrame(Messages.ReadRange.kind, 200 + i, 0, Messages.ReadRange.request, { segmentId: 1 }));
      raw.send(Buffer.concat(frames));
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(await requestsDone(node.metricsPort!, 'WAIT_CONFIRMED'), 0, 'the long polls are waiting');
      raw.close();
      // Gone with their connection, not at their 30-second timeout.
      await waitFor(async () => (await requestsDone(node.metricsPort!, 'WAIT_CONFIRMED')) === WAITS, 5000, 'the long polls end with their connection');
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(warnings, []);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
