/**
 * Quorum with weights 2/1/1 (losing the weight-2 node stops writes and
 * emits quorumLost; its return emits quorumRegained), membership events,
 * and a node whose copy diverged: detected by checksum, resynced from the
 * primary's snapshot.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { once } from 'node:events';
import { DivergedError, QuorumLostError, type TablesMember } from '../../src/tables/index.js';
import type { TablesState } from '../../src/tables/state/store.js';
import { removeDirs } from '../log/node/support.js';
import { forEachTarget, waitFor } from '../support/targets.js';
import { startTablesEnv } from './support/harness.js';

after(removeDirs);

const T = 30_000;

forEachTarget('tables quorum and integrity', (target) => {
  it('weights 2/1/1: losing the weight-2 node loses the quorum, its return regains it', { timeout: 60_000 }, async () => {
    await using env = await startTablesEnv(target(), 'quorum');
    const heavy = await env.openNode('n1', { weight: 2 });
    const b = await env.openNode('n2');
    // b learns of n3 from a watch that may fire after n3's open resolves: wait for it, or it lands among the events below.
    const bSawN3 = new Promise<void>((resolve) => b.on('nodeConnected', (m) => m.identifier === 'n3' && resolve()));
    const c = await env.openNode('n3');
    await bSawN3;
    const connected: TablesMember[] = [];
    const disconnected: TablesMember[] = [];
    b.on('nodeConnected', (m) => connected.push(m));
    b.on('nodeDisconnected', (m) => disconnected.push(m));
    await b.transaction((tx) => tx.put('items', { sku: 'q', qty: 1 }), { timeout: T });
    const lost = once(b, 'quorumLost');
    const lostOnC = once(c, 'quorumLost');
    await heavy.close();
    const [info] = await lost;
    await lostOnC;
    assert.deepEqual(info, { connected: 2, total: 4 });
    assert.deepEqual(disconnected, [{ identifier: 'n1', weight: 2 }]);
    const started = Date.now();
    await assert.rejects(c.transaction((tx) => tx.put('items', { sku: 'q', qty: 2 }), { timeout: T }), QuorumLostError);
    await assert.rejects(b.transaction((tx) => tx.put('items', { sku: 'q', qty: 2 }), { timeout: T }), QuorumLostError);
    assert.ok(Date.now() - started < 1000, 'fails fast');
    // Reads still work.
    assert.equal((await b.get('items', 'q'))!.qty, 1);
    const regained = once(b, 'quorumRegained');
    await env.openNode('n1', { weight: 2 });
    assert.deepEqual((await regained)[0], { connected: 4, total: 4 });
    assert.deepEqual(connected, [{ identifier: 'n1', weight: 2 }]);
    await b.transaction((tx) => tx.put('items', { sku: 'q', qty: 3 }), { timeout: T });
  });

  it('a diverged copy is detected by checksum and resynced from the primary snapshot', { timeout: 60_000 }, async () => {
    await using env = await startTablesEnv(target(), 'integrity');
    const a = await env.openNode('n1');
    await waitFor(() => a.status.primary === 'n1', T, 'n1 primary');
    const b = await env.openNode('n2');
    const first = await a.transaction((tx) => tx.put('items', { sku: 'x', qty: 1 }), { timeout: T });
    await b.waitForPosition(first.position, { timeout: T });
    // Corrupt b's copy in memory: a row and its checksum chain (fault injection through the private state).
    const state = (b as unknown as { core: { state: TablesState } }).core.state;
    state.put('items', 'x', { sku: 'x', qty: 999 }, state.get('items', 'x')!.version);
    state.checksum = 'f'.repeat(64);
    // Reads are refused from the moment the divergence is known (the local reader's serving flag).
    let readWhileDiverged: unknown;
    b.once('diverged', () => {
      try {
        b.local.get('items', 'x');
      } catch (err) {
        readWhileDiverged = err;
      }
    });
    const diverged = once(b, 'diverged');
    const resynced = once(b, 'resynced');
    const second = await a.transaction((tx) => tx.put('items', { sku: 'y', qty: 2 }), { timeout: T });
    await diverged;
    assert.ok(readWhileDiverged instanceof DivergedError, `a local read while diverged: ${String(readWhileDiverged)}`);
    await resynced;
    await b.waitForPosition(second.position, { timeout: T });
    assert.deepEqual(await b.get('items', 'x'), { sku: 'x', qty: 1 });
    const third = await b.transaction((tx) => tx.put('items', { sku: 'z', qty: 3 }), { timeout: T });
    await a.waitForPosition(third.position, { timeout: T });
    await waitFor(() => a.status.checksum === b.status.checksum, T, 'equal checksums');
  });
});
