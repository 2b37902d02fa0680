/**
 * A storage node's life across restarts: its data and identity stay, the
 * cookie check refuses a data directory from another node (or an
 * unreadable cookie), a copied data directory cannot register twice, and
 * close drains requests in progress.
 */
import assert from 'node:assert/strict';
import { cp } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { after, it } from 'node:test';
import {
  connectLogNode,
  CookieMismatchError,
  InstanceInUseError,
  NodeClosingError,
  NodeDisconnectedError,
  type LogEntry,
} from '../../../src/log/index.js';
import { cookiePath, nodePath } from '../../../src/log/node/registration.js';
import { connect, forEachTarget } from '../../support/targets.js';
import { collect, entry, removeDirs, startTestNode, tempDir } from './support.js';

after(removeDirs);

/** Whether something accepts connections on the port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

forEachTarget('log node restarts', (target) => {
  it('a restart on the same data dir keeps the instance, its entries and its fences', async () => {
    const checker = await connect(target());
    const dataDir = await tempDir();
    const first = await startTestNode(target().connectionString, dataDir);
    const entries = Array.from({ length: 50 }, (_, i) => entry(1, i));
    {
      await using c = await connectLogNode(first.address);
      await Promise.all(entries.map((e) => c.addEntry(e)));
      await c.fence(2);
    }
    await first.close();
    await using again = await startTestNode(target().connectionString, dataDir, { port: first.port });
    assert.equal(again.instanceId, first.instanceId);
    assert.equal(again.replacedInstanceId, undefined);
    assert.notEqual(await checker.exists(nodePath(again.instanceId)), null);
    await using c = await connectLogNode(again.address);
    assert.deepEqual(await collect(c.readRange(1)), entries);
    assert.deepEqual(await c.fence(2), { lastEntryId: -1, lastAddConfirmed: -1 });
    assert.equal((await c.info()).segments, 2);
  });

  it('the cookie check refuses a data dir with entries at an address that belongs to another instance, and an unreadable cookie', async () => {
    const checker = await connect(target());
    const dirA = await tempDir();
    const dirB = await tempDir();
    const a = await startTestNode(target().connectionString, dirA);
    const b = await startTestNode(target().connectionString, dirB);
    for (const node of [a, b]) {
      await using c = await connectLogNode(node.address);
      await c.addEntry(entry(1, 0, `on ${node.instanceId}`));
    }
    await a.close();
    await b.close();
    // A's data dir at B's address: B's entries are not there, so it must not pass for B.
    await assert.rejects(startTestNode(target().connectionString, dirA, { port: b.port }), (e: unknown) => {
      assert.ok(e instanceof CookieMismatchError, String(e));
      assert.equal(e.code, 'COOKIE_MISMATCH');
      assert.equal(e.cookieInstanceId, b.instanceId);
      assert.equal(e.instanceId, a.instanceId);
      assert.equal(e.path, cookiePath('127.0.0.1', b.port));
      assert.match(e.message, /names instance .* holds segments/);
      return true;
    });
    const cookie = JSON.parse((await checker.getData(cookiePath('127.0.0.1', b.port))).data!.toString()) as { instanceId: string };
    assert.equal(cookie.instanceId, b.instanceId, 'the cookie is left alone');
    assert.equal(await checker.exists(nodePath(a.instanceId)), null, 'no registration left behind');
    assert.equal(await accepts(b.port), false, 'the refused node stopped listening');
    // B itself still starts there.
    const b2 = await startTestNode(target().connectionString, dirB, { port: b.port });
    assert.equal(b2.instanceId, b.instanceId);
    await b2.close();

    // An unreadable cookie is refused even for an empty data dir: someone else wrote it.
    await checker.setData(cookiePath('127.0.0.1', b.port), Buffer.from('not json'));
    await assert.rejects(
      startTestNode(target().connectionString, await tempDir(), { port: b.port }),
      (e: unknown) => e instanceof CookieMismatchError && e.cookieInstanceId === undefined && /cannot be read/.test(e.message),
    );
    // Deleting the cookie is the operator's way to free the address.
    await checker.delete(cookiePath('127.0.0.1', b.port));
    await using fresh = await startTestNode(target().connectionString, dirA, { port: b.port });
    assert.equal(fresh.instanceId, a.instanceId);
  });

  it('a copy of a live node\'s data dir cannot register a second time', async () => {
    const checker = await connect(target());
    const dir = await tempDir();
    await using live = await startTestNode(target().connectionString, dir);
    {
      await using c = await connectLogNode(live.address);
      await c.addEntry(entry(1, 0));
    }
    const copy = await tempDir();
    await cp(dir, copy, { recursive: true });
    await assert.rejects(startTestNode(target().connectionString, copy), (e: unknown) => {
      assert.ok(e instanceof InstanceInUseError, String(e));
      assert.equal(e.registeredAddress, live.address);
      return true;
    });
    const stat = await checker.exists(nodePath(live.instanceId));
    assert.notEqual(stat, null, 'the live registration stays');
    const record = JSON.parse((await checker.getData(nodePath(live.instanceId))).data!.toString()) as { port: number };
    assert.equal(record.port, live.port);
  });

  it('close answers the requests in progress, refuses new ones, is idempotent; every acknowledged add survives', async () => {
    const dataDir = await tempDir();
    // fsync on: adds take real time, so many are in progress when close starts.
    const node = await startTestNode(target().connectionString, dataDir, { fsync: true, closeTimeout: 5000 });
    const c = await connectLogNode(node.address);
    const entries = Array.from({ length: 3000 }, (_, i) => entry(7, i, `drain ${i} ${'x'.repeat(200)}`));
    const acked: LogEntry[] = [];
    const failures: unknown[] = [];
    const adds = entries.map((e) => c.addEntry(e).then(() => void acked.push(e), (error: unknown) => void failures.push(error)));
    while (acked.length === 0) await new Promise((r) => setImmediate(r));
    const ackedBeforeClose = acked.length;
    const closing = node.close();
    const closingAgain = node.close();
    await Promise.all([closing, closingAgain]);
    await Promise.all(adds);
    await node.close();
    assert.ok(acked.length > ackedBeforeClose, `requests in progress were answered during close (${ackedBeforeClose} before, ${acked.length} after)`);
    for (const f of failures) assert.ok(f instanceof NodeClosingError || f instanceof NodeDisconnectedError, String(f));
    assert.equal(acked.length + failures.length, entries.length);
    assert.equal(await accepts(node.port), false);
    await c.close();
    await using again = await startTestNode(target().connectionString, dataDir, { port: node.port });
    await using check = await connectLogNode(again.address);
    const stored = new Map((await collect(check.readRange(7))).map((e) => [e.entryId, e]));
    for (const e of acked) assert.deepEqual(stored.get(e.entryId), e, `acknowledged entry ${e.entryId}`);
  });

  it('Symbol.asyncDispose closes the node: registration gone, port closed', async () => {
    const checker = await connect(target());
    let instanceId: string;
    let port: number;
    {
      await using node = await startTestNode(target().connectionString, await tempDir());
      instanceId = node.instanceId;
      port = node.port;
      assert.notEqual(await checker.exists(nodePath(instanceId)), null);
    }
    assert.equal(await checker.exists(nodePath(instanceId)), null);
    assert.equal(await accepts(port), false);
  });
}, { concurrency: false });
