import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Client } from '../../../src/client/index.js';
import { IDS_PATH, LOGS_PATH, segmentPath } from '../../../src/log/metadata/layout.js';
import { LogMetadataStore } from '../../../src/log/metadata/metadata-store.js';
import { openSegment, type SegmentMetadata } from '../../../src/log/metadata/records.js';
import { connect, forEachTarget, uniquePath, type Target } from '../../support/targets.js';

const Q = { ensembleSize: 2, writeQuorum: 2, ackQuorum: 1 };

/** A client rooted at a fresh chroot (or at `root`), so each test has its own /herd/log. */
async function rooted(target: Target, root = uniquePath('log-metadata')): Promise<Client> {
  const plain = await connect(target);
  await plain.mkdirp(root).catch((error: { code?: string }) => {
    if (error.code !== 'NODEEXISTS') throw error;
  });
  return connect(target, {}, `${target.connectionString}${root}`);
}

function closeAt(s: SegmentMetadata, lastEntry: number): SegmentMetadata {
  return { ...s, state: 'CLOSED', lastEntry, minTimestamp: lastEntry < 0 ? null : 100, maxTimestamp: lastEntry < 0 ? null : 200 };
}

forEachTarget('log metadata store', (target) => {
  it('creates a log once; the first creator decides its quorums', async () => {
    const store = new LogMetadataStore(await rooted(target()));
    assert.deepEqual(await store.listLogs(), []);
    const created = await store.createLog('app', Q);
    assert.deepEqual(created.value.segments, []);
    assert.equal(created.value.ensembleSize, 2);
    const again = await store.createLog('app', { ensembleSize: 3, writeQuorum: 3, ackQuorum: 2 });
    assert.deepEqual(again, created);
    await store.createLog('other', Q);
    assert.deepEqual(await store.listLogs(), ['app', 'other']);
    await assert.rejects(store.readLog('missing'), { name: 'NoSuchLogError', code: 'NO_SUCH_LOG' });
    await assert.rejects(store.readSegment(12345), { name: 'NoSuchSegmentError', code: 'NO_SUCH_SEGMENT' });
    await assert.rejects(store.createLog('a/b', Q), { name: 'BadArgumentsError' });
    await assert.rejects(store.createLog('ok', { ensembleSize: 1, writeQuorum: 2, ackQuorum: 1 }), { name: 'BadArgumentsError' });
  });

  it('adds segments in order, each after the previous one is closed, with fresh ids and no id nodes left', async () => {
    const client = await rooted(target());
    const store = new LogMetadataStore(client);
    const log = await store.createLog('app', Q);
    const first = await store.addSegment('app', log, openSegment('app', 'w1', Q, ['n1', 'n2'], 1));
    assert.deepEqual(first.log.value.segments, [first.id]);
    assert.deepEqual(await store.readLog('app'), first.log);
    assert.deepEqual(await store.readSegment(first.id), first.segment);

    const second = openSegment('app', 'w1', Q, ['n2', 'n3'], 2);
    await assert.rejects(store.addSegment('app', first.log, second), { name: 'InvalidStateError', message: /recover it/ });
    const closed = await store.updateSegment(first.id, first.segment, closeAt(first.segment.value, 9));
    assert.equal(closed.version, 1);
    const next = await store.addSegment('app', first.log, second);
    assert.ok(next.id > first.id, `ids grow: ${first.id} then ${next.id}`);
    assert.deepEqual((await store.readLog('app')).value.segments, [first.id, next.id]);
    assert.deepEqual(await client.getChildren(IDS_PATH), []);

    await assert.rejects(store.addSegment('app', next.log, openSegment('other', 'w1', Q, ['n1', 'n2'], 3)), { name: 'BadArgumentsError' });
    await assert.rejects(store.addSegment('app', next.log, openSegment('app', 'w1', { ...Q, ackQuorum: 2 }, ['n1', 'n2'], 3)), { name: 'BadArgumentsError' });
  });

  it('two writers adding a segment from the same version: exactly one wins, the other gets MetadataConflictError', async () => {
    const root = uniquePath('log-metadata');
    const client = await rooted(target(), root);
    const a = new LogMetadataStore(client);
    const other = new LogMetadataStore(await rooted(target(), root));
    const log = await a.createLog('race', Q);
    const outcomes = await Promise.allSettled([
      a.addSegment('race', log, openSegment('race', 'writer-a', Q, ['n1', 'n2'], 1)),
      other.addSegment('race', log, openSegment('race', 'writer-b', Q, ['n1', 'n2'], 1)),
    ]);
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    assert.equal(won.length, 1);
    assert.equal(lost.length, 1);
    assert.equal(lost[0]!.reason.code, 'METADATA_CONFLICT');
    const now = await a.readLog('race');
    assert.equal(now.value.segments.length, 1);
    // The loser's segment was never created: the transaction is all or nothing.
    const children = await client.getChildren('/herd/log/segments');
    assert.deepEqual(children, [segmentPath(now.value.segments[0]!).split('/').pop()]);
  });

  it('updates are compare-and-set: a stale recovery loses, illegal changes are refused before I/O', async () => {
    const client = await rooted(target());
    const store = new LogMetadataStore(client);
    const added = await store.addSegment('app', await store.createLog('app', Q), openSegment('app', 'w1', Q, ['n1', 'n2'], 1));
    const read = await store.readSegment(added.id);
    const recovering = await store.updateSegment(added.id, read, { ...read.value, state: 'IN_RECOVERY' });
    await assert.rejects(store.updateSegment(added.id, read, closeAt(read.value, 3)), { name: 'MetadataConflictError', code: 'METADATA_CONFLICT' });
    const changed = await store.updateSegment(added.id, recovering, { ...recovering.value, ensembles: [...recovering.value.ensembles, { firstEntry: 4, nodes: ['n1', 'n3'] }] });
    const closed = await store.updateSegment(added.id, changed, closeAt(changed.value, 7));
    assert.equal(closed.version, 3);
    await assert.rejects(store.updateSegment(added.id, closed, { ...closed.value, state: 'OPEN' }), { name: 'InvalidStateError' });
    assert.deepEqual(await store.readSegment(added.id), closed);
  });

  it('a record that is not one is refused with UnexpectedDataError naming its znode', async () => {
    const client = await rooted(target());
    const store = new LogMetadataStore(client);
    const added = await store.addSegment('app', await store.createLog('app', Q), openSegment('app', 'w1', Q, ['n1', 'n2'], 1));
    await client.setData(segmentPath(added.id), Buffer.from('{"format":1,"state":"OPEN"'));
    await assert.rejects(store.readSegment(added.id), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'UNEXPECTED_DATA');
      assert.match(error.message, new RegExp(`${segmentPath(added.id)}: not JSON`));
      return true;
    });
    await client.setData(`${LOGS_PATH}/app`, Buffer.from('{"format":1,"ensembleSize":2,"writeQuorum":2,"ackQuorum":1,"segments":"x","createdAt":0}'));
    await assert.rejects(store.readLog('app'), { code: 'UNEXPECTED_DATA', message: /\/herd\/log\/logs\/app: segments must be a list/ });
  });

  it('retention removes the oldest closed segments and their records in one transaction', async () => {
    const client = await rooted(target());
    const store = new LogMetadataStore(client);
    let log = await store.createLog('app', Q);
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const added = await store.addSegment('app', log, openSegment('app', 'w1', Q, ['n1', 'n2'], i));
      ids.push(added.id);
      log = added.log;
      if (i < 2) await store.updateSegment(added.id, added.segment, closeAt(added.segment.value, 4));
    }
    await assert.rejects(store.removeSegments('app', log, [ids[1]!]), { name: 'BadArgumentsError', message: /oldest/ });
    await assert.rejects(store.removeSegments('app', log, ids), { name: 'InvalidStateError', message: /OPEN/ });
    const after = await store.removeSegments('app', log, ids.slice(0, 2));
    assert.deepEqual(after.value.segments, [ids[2]]);
    assert.deepEqual(await store.readLog('app'), after);
    await assert.rejects(store.readSegment(ids[0]!), { name: 'NoSuchSegmentError' });
    await assert.rejects(store.removeSegments('app', log, ids.slice(0, 1)), { name: 'MetadataConflictError' });
  });
});
