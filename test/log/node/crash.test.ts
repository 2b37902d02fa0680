/**
 * A storage node SIGKILLed under load (the `herd log-node` command as a
 * child process, fsync on as in production). A writer adds pipelined
 * entries and records each acknowledgement; the node is killed mid-load
 * and restarted on the same data directory and port; a fresh connection
 * then reads the segment back and checks it against the records: every
 * acknowledged entry is there, byte for byte, in order, and nothing is
 * there that was never sent. The registration is watched from outside:
 * it outlives the killed process until its session expires (round 1), or
 * is taken over at once by the restarted node at the same address
 * (round 2).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, it } from 'node:test';
import type { Client } from '../../../src/client/index.js';
import { connectLogNode, type LogEntry, type LogNodeClient } from '../../../src/log/index.js';
import { nodePath } from '../../../src/log/node/registration.js';
import { connect, forEachTarget, waitFor } from '../../support/targets.js';
import { collect, removeDirs, startNodeProcess, tempDir } from './support.js';

after(removeDirs);

const SESSION_TIMEOUT = 2000;
const SEGMENT = 1;
const IN_FLIGHT = 32;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** What the writer sent and what was acknowledged. */
class AckRecord {
  readonly sent = new Map<number, LogEntry>();
  readonly acked = new Set<number>();
  next = 0;

  entry(): LogEntry {
    const id = this.next++;
    const e = { segmentId: SEGMENT, entryId: id, timestamp: 1_700_000_000_000 + id, lastAddConfirmed: id - 1, data: Buffer.from(`crash entry ${id} ${'#'.repeat(id % 97)}`) };
    this.sent.set(id, e);
    return e;
  }
}

/**
 * Adds with {@link IN_FLIGHT} requests pipelined until the connection
 * fails (the kill); resolves with how many were acknowledged. `killAfter`
 * acknowledgements in, `onLoad` runs (it kills the node).
 */
async function writeUntilKilled(c: LogNodeClient, record: AckRecord, killAfter: number, onLoad: () => Promise<void>): Promise<number> {
  let acks = 0;
  let killing: Promise<void> | undefined;
  const worker = async (): Promise<void> => {
    for (;;) {
      const e = record.entry();
      try {
        await c.addEntry(e);
      } catch {
        return;
      }
      record.acked.add(e.entryId);
      if (++acks === killAfter) killing = onLoad();
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  await killing;
  return acks;
}

/** The independent check: a fresh connection reads the segment and compares it with the records. */
async function verify(address: string, record: AckRecord): Promise<void> {
  await using c = await connectLogNode(address);
  const stored = await collect(c.readRange(SEGMENT));
  const ids = stored.map((e) => e.entryId);
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i]! > ids[i - 1]!, `entry ids in order at ${i}: ${ids[i - 1]} then ${ids[i]}`);
  const byId = new Map(stored.map((e) => [e.entryId, e]));
  for (const e of stored) assert.deepEqual(e, record.sent.get(e.entryId), `entry ${e.entryId} is one the writer sent, unchanged`);
  const missing = [...record.acked].filter((id) => !byId.has(id));
  assert.deepEqual(missing, [], `acknowledged entries missing after the crash (${record.acked.size} acknowledged, ${stored.length} stored)`);
}

forEachTarget('log node crash', (target) => {
  it('SIGKILL under load: every acknowledged entry survives; the registration goes with the session and comes back on restart', { timeout: 60_000 }, async () => {
    const checker: Client = await connect(target());
    const dataDir = await tempDir('log-crash');
    const port = await freePort();
    const record = new AckRecord();
    let node = await startNodeProcess(target().connectionString, dataDir, { port, sessionTimeout: SESSION_TIMEOUT });
    const instanceId = node.instanceId;
    const path = nodePath(instanceId);
    try {
      const firstOwner = (await checker.exists(path))?.ephemeralOwner;
      assert.ok(firstOwner !== undefined && firstOwner !== 0n, 'registered, ephemeral');

      // Round 1: killed under load; the registration stays until the dead node's session expires.
      {
        const c = await connectLogNode(node.address, { timeout: 10_000 });
        const killed = node;
        const acks = await writeUntilKilled(c, record, 400, () => killed.kill());
        await c.close();
        assert.ok(acks >= 400, `${acks} acknowledged before the kill`);
        assert.ok(record.sent.size > record.acked.size, 'killed with adds in flight');
        assert.equal((await checker.exists(path))?.ephemeralOwner, firstOwner, 'the killed node is still registered while its session lives');
        const killedAt = Date.now();
        await waitFor(async () => (await checker.exists(path)) === null, 4 * SESSION_TIMEOUT + 5000, 'registration gone with the session');
        const gone = Date.now() - killedAt;
        assert.ok(gone >= SESSION_TIMEOUT / 2, `gone after ${gone} ms, not before the session could expire`);
      }
      node = await startNodeProcess(target().connectionString, dataDir, { port, sessionTimeout: SESSION_TIMEOUT });
      assert.equal(node.instanceId, instanceId, 'same data dir, same instance');
      const secondOwner = (await checker.exists(path))?.ephemeralOwner;
      assert.ok(secondOwner !== undefined && secondOwner !== firstOwner, 'registered again in a new session');
      await verify(node.address, record);

      // Round 2: killed again and restarted at once: the new process takes its stale registration over.
      {
        const c = await connectLogNode(node.address, { timeout: 10_000 });
        const killed = node;
        await writeUntilKilled(c, record, 400, () => killed.kill());
        await c.close();
      }
      assert.equal((await checker.exists(path))?.ephemeralOwner, secondOwner, 'still registered by the dead session');
      node = await startNodeProcess(target().connectionString, dataDir, { port, sessionTimeout: SESSION_TIMEOUT });
      const thirdOwner = (await checker.exists(path))?.ephemeralOwner;
      assert.ok(thirdOwner !== undefined && thirdOwner !== secondOwner, 'the restarted node replaced the stale registration');
      await verify(node.address, record);

      // A graceful stop (SIGTERM) deregisters at once and exits 0.
      const exited = new Promise<number | null>((resolve) => node.child.once('exit', (code) => resolve(code)));
      node.child.kill('SIGTERM');
      assert.equal(await exited, 0, node.stderr());
      assert.equal(await checker.exists(path), null);
    } finally {
      if (node.child.exitCode === null && node.child.signalCode === null) await node.kill();
    }
  });
}, { concurrency: false, herd: { tickTime: 500 } });
