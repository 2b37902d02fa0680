/**
 * Segments left OPEN by a writer whose session ended (src/log/repair/abandoned.ts):
 * the auditor recovers them once the grace period has passed (fenced,
 * closed at the last acknowledged entry), and leaves a live writer's
 * segment alone.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { openLog, readLog, startAuditor, type RecoveredResult } from '../../../src/log/index.js';
import { forEachTarget, sleep } from '../../support/targets.js';
import { collectRecords, texts } from '../writer/support.js';
import { removeDirs } from '../node/support.js';
import { segmentOf, startRepairCluster } from './support.js';

after(removeDirs);

const Q = { ensembleSize: 3, writeQuorum: 3, ackQuorum: 2 };
const GRACE = 1500;

forEachTarget('log repair: segments of writers that are gone', (target) => {
  it('a writer whose session expired leaves its segment OPEN: the auditor recovers it after the grace period, keeping every acknowledged entry; a live writer is left alone', async () => {
    await using cluster = await startRepairCluster(target(), 3);
    const gone = await cluster.client();
    const dead = await openLog(gone, 'gone', { ...Q, identifier: 'w-gone' });
    const written = Array.from({ length: 10 }, (_, i) => `gone-${i}`);
    for (const t of written) await dead.append(Buffer.from(t));
    const id = dead.segmentId!;
    await using live = await openLog(await cluster.client(), 'alive', { ...Q, identifier: 'w-live' });
    await live.append(Buffer.from('still here'));
    const recovered: RecoveredResult[] = [];
    await using auditor = await startAuditor(await cluster.client(), { gracePeriod: GRACE, auditInterval: 600_000, identifier: 'a1' });
    auditor.on('recovered', (r) => recovered.push(r));
    await auditor.audit();
    assert.equal((await segmentOf(await cluster.shared(), id)).state, 'OPEN', 'its writer is live: untouched');

    const expiredAt = Date.now();
    await target().expire(gone);
    const deadline = Date.now() + 30_000;
    while (recovered.length === 0 && Date.now() < deadline) await sleep(100);
    assert.equal(recovered.length, 1, 'recovered within 30 s');
    assert.ok(Date.now() - expiredAt >= GRACE, `recovered ${Date.now() - expiredAt} ms after the session ended, before the grace period`);
    assert.deepEqual(recovered[0], { segmentId: id, log: 'gone', writer: 'w-gone', lastEntry: 9 });
    const record = await segmentOf(await cluster.shared(), id);
    assert.equal(record.state, 'CLOSED');
    assert.equal(record.lastEntry, 9);
    assert.deepEqual(texts(await collectRecords(readLog(await cluster.shared(), 'gone'))), written);
    await assert.rejects(dead.append(Buffer.from('late')), 'the old writer cannot add entries');
    await dead.close().catch(() => {});

    await auditor.audit();
    assert.equal(auditor.stats.segmentsRecovered, 1);
    assert.equal((await segmentOf(await cluster.shared(), live.segmentId!)).state, 'OPEN', 'the live writer\'s segment stays OPEN');
    await live.append(Buffer.from('and goes on'));
  });
});
