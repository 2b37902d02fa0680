/**
 * The log under chaos (issue 13, "Proof"): three storage nodes as child
 * processes (`herd log-node`, fsync on) and a writer process (3/3/2)
 * appending under load, recording every acknowledgement in an fsynced ack
 * file. Each round SIGKILLs one storage node mid-load and restarts it on
 * the same data directory and port; one round SIGKILLs the writer instead
 * and starts a new writer process on the same log (which recovers the
 * killed writer's segment). The writer must keep acknowledging after each
 * restart. Then the last writer closes the log and the independent checker
 * (checker.ts) reads every replica and holds the log to the ack records.
 *
 * HERD_CHAOS_ROUNDS (default 3) sets the number of rounds; CI keeps the
 * default (about a minute per target on a 2-core machine). For a longer run:
 * `HERD_CHAOS_ROUNDS=30 node test/run.mjs log/chaos/chaos`.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { forEachTarget, sleep } from '../../support/targets.js';
import { removeDirs } from '../node/support.js';
import { ChaosCluster } from './support.js';

after(removeDirs);

const ROUNDS = Math.max(2, Number(process.env.HERD_CHAOS_ROUNDS ?? 3));
/** Acknowledgements awaited between faults. */
const STRIDE = 150;
/** How long the writer may take to make progress after a fault, ms: liveness on a loaded machine, not speed. */
const LIVENESS = 45_000;

forEachTarget('log chaos', (target) => {
  it(`${ROUNDS} rounds of SIGKILLed storage nodes and one SIGKILLed writer: the checker finds every acknowledged entry, once, in order`, { timeout: 60_000 + ROUNDS * 2 * LIVENESS }, async () => {
    await using cluster = await ChaosCluster.start(target(), 4);
    let writer = await cluster.writer('chaos', 'w0');
    await writer.progress(STRIDE, LIVENESS, 'a start');
    for (let round = 0; round < ROUNDS; round++) {
      if (round === 1) {
        // The writer dies with appends in flight; the next one recovers its segment and goes on.
        await writer.kill();
        writer = await cluster.writer('chaos', `w${round}`);
      } else {
        const node = await cluster.ensembleNode('chaos', round);
        await node.kill();
        await sleep(300);
        await node.restart();
      }
      await writer.progress(STRIDE, LIVENESS, `after round ${round}`);
    }
    await writer.stop(LIVENESS);
    const report = await cluster.assertIntact('chaos');
    assert.ok(report.entries.length >= report.acks.length);
    assert.ok(report.snapshot.segments.length >= 2, 'the killed writer\'s segment and its successor\'s');
  });
}, { concurrency: false });
