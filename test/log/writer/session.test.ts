/**
 * The writer's own coordination session and its timers (src/log/writer/log.ts):
 * a writer whose session expires, or whose client closes, stops as a fenced
 * one does (`lost`, SessionLostError); `maxSegmentAge` rolls a segment
 * over by a timer, without waiting for the next append.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, it } from 'node:test';
import { SessionLostError } from '../../../src/errors.js';
import { openLog, type LogPosition } from '../../../src/log/index.js';
import { LogMetadataStore } from '../../../src/log/metadata/metadata-store.js';
import { forEachTarget } from '../../support/targets.js';
import { removeDirs } from '../node/support.js';
import { collectRecords, startCluster, texts } from './support.js';

after(removeDirs);

const Q = { ensembleSize: 3, writeQuorum: 3, ackQuorum: 2 };

forEachTarget('log writer: its session and its timers', (target) => {
  it('a writer whose session expires stops: lost with a SessionLostError, every later append rejects with it; a new writer keeps what it acknowledged', async () => {
    await using cluster = await startCluster(target());
    const client = await cluster.client();
    const log = await openLog(client, 'expiring', { ...Q, identifier: 'doomed' });
    const acked: LogPosition[] = [];
    for (let i = 0; i < 5; i++) acked.push(await log.append(Buffer.from(`e${i}`)));
    const lost = once(log, 'lost');
    await target().expire(client);
    const [error] = (await lost) as [SessionLostError];
    assert.ok(error instanceof SessionLostError);
    assert.equal(error.code, 'SESSION_LOST');
    assert.match(error.message, /log expiring: .*the writer stopped/);
    assert.equal((error.cause as { code?: string } | undefined)?.code, 'SESSIONEXPIRED');
    await assert.rejects(log.append(Buffer.from('late')), (e: unknown) => e === error);
    await log.close();
    // The segment was left OPEN for the next writer to recover: nothing acknowledged is lost.
    await using next = await openLog(await cluster.client(), 'expiring', { ...Q, identifier: 'next' });
    const records = await collectRecords(next.read());
    assert.deepEqual(texts(records), ['e0', 'e1', 'e2', 'e3', 'e4']);
  });

  it('a writer whose client is closed stops the same way (cause ClientClosedError)', async () => {
    await using cluster = await startCluster(target());
    const client = await cluster.client();
    const log = await openLog(client, 'closed-client', Q);
    await log.append(Buffer.from('a'));
    const lost = once(log, 'lost');
    await client.close();
    const [error] = (await lost) as [SessionLostError];
    assert.equal(error.code, 'SESSION_LOST');
    assert.equal((error.cause as { code?: string } | undefined)?.code, 'CLIENT_CLOSED');
    await assert.rejects(log.append(Buffer.from('b')), { name: 'SessionLostError' });
    await log.close();
  });

  it('maxSegmentAge rolls the segment over by a timer after its first append, without another append', async () => {
    await using cluster = await startCluster(target());
    const client = await cluster.client();
    await using log = await openLog(client, 'aging', { ...Q, maxSegmentAge: 400 });
    const rolled = once(log, 'segmentRolled');
    const started = Date.now();
    const first = await log.append(Buffer.from('old'));
    const [event] = (await rolled) as [{ closed: number; opened: number }];
    assert.ok(Date.now() - started >= 350, `rolled after ${Date.now() - started} ms`);
    assert.equal(event.closed, first.segmentId);
    const closed = (await new LogMetadataStore(client).readSegment(first.segmentId)).value;
    assert.equal(closed.state, 'CLOSED');
    assert.equal(closed.lastEntry, 0);
    assert.equal(log.segmentId, event.opened);
    // An empty segment does not roll: nothing happens until the next append arms the timer again.
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(log.segmentId, event.opened);
    const second = await log.append(Buffer.from('new'));
    assert.equal(second.segmentId, event.opened);
  });
});
