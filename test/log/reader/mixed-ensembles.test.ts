/**
 * A subscription across a writer change where the two segments have
 * different ensemble sizes and the old segment's ensemble lost a node (the
 * tables failover that once stalled: the primary, a child process at
 * 3/3/2 hosting one of the storage nodes, was SIGKILLed, and the next
 * writer opened the log at 2/2/2 on the two nodes left). The subscriber,
 * from the start, must deliver every entry the dead writer acknowledged,
 * then the new writer's, with nothing twice.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { openLog, subscribeLog, type LogRecord } from '../../../src/log/index.js';
import { forEachTarget, waitFor } from '../../support/targets.js';
import { removeDirs, startNodeProcess, tempDir } from '../node/support.js';
import { startCluster, texts } from '../writer/support.js';
import { startWriterProcess } from './writer-process.js';

after(removeDirs);

/** ms for anything to happen on a loaded machine: liveness only. */
const LIVENESS = 30_000;

forEachTarget('log subscriptions across segments of different ensembles', (target) => {
  it('writer 3/3/2 and one of its nodes SIGKILLed, next writer 2/2/2: the subscriber gets every acknowledged entry, then the next segment', { timeout: 4 * LIVENESS }, async () => {
    await using cluster = await startCluster(target(), 2);
    const doomed = await startNodeProcess(cluster.coordination, await tempDir('log-mixed'));
    const worker = startWriterProcess(cluster.coordination, 'mixed');
    const records: LogRecord[] = [];
    const ac = new AbortController();
    const client = await cluster.client();
    let done: Promise<unknown> = Promise.resolve();
    try {
      await worker.ready(LIVENESS);
      // Subscribed once the log exists (a subscription of no log rejects with NoSuchLogError).
      done = (async () => {
        for await (const r of subscribeLog(client, 'mixed', { from: 'start', signal: ac.signal, pollTimeout: 2000 })) records.push(r);
      })().catch((error: unknown) => error);
      await waitFor(() => worker.outputLines() > 200 && records.length > 50, LIVENESS, 'appends acknowledged and seen').catch((error: unknown) => {
        throw new Error(`${String(error)}: ${worker.outputLines()} acks, ${records.length} records, worker stderr: ${worker.stderr().slice(-1500)}`);
      });
      // The writer and the node it hosted die together, as a primary process does.
      await Promise.all([worker.kill(), doomed.kill()]);
      const acked = worker.acked();
      const next = await openLog(await cluster.client(), 'mixed', { ensembleSize: 2, writeQuorum: 2, ackQuorum: 2, identifier: 'next', nodeTimeout: 3000 });
      const first = await next.append(Buffer.from('next 0'));
      assert.equal(first.entryId, 0, 'the next writer starts a new segment');
      for (let i = 1; i < 3; i++) await next.append(Buffer.from(`next ${i}`));
      await waitFor(() => records.some((r) => r.data.toString() === 'next 2'), LIVENESS, `the next writer's entries (subscriber at ${records.length} records, last ${JSON.stringify(records.at(-1)?.position)})`).catch(async (error: unknown) => {
        ac.abort();
        throw new Error(`${String(error)}; subscription ended with ${String(await done)}`);
      });
      const seen = new Set<string>();
      for (const r of records) {
        const k = `${r.position.segmentId}:${r.position.entryId}`;
        assert.ok(!seen.has(k), `${k} delivered twice`);
        seen.add(k);
      }
      const got = texts(records);
      const fromWorker = got.filter((t) => t.startsWith('w '));
      for (const t of acked) assert.ok(fromWorker.includes(t), `${t} was acknowledged`);
      assert.deepEqual(got.slice(fromWorker.length), ['next 0', 'next 1', 'next 2']);
      assert.equal(records.at(-3)!.position.segmentId, first.segmentId);
      await next.close();
    } finally {
      await worker.kill();
      await doomed.kill();
      ac.abort();
      await done;
    }
  });
});
