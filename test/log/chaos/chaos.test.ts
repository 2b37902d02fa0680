/**
 * The log under chaos (issue 13, "Proof"): storage nodes as child
 * processes (`herd log-node`, fsync on) and a writer process (3/3/2)
 * appending under load, recording every acknowledgement in an fsynced ack
 * file. Each round SIGKILLs one storage node of the writer's ensemble
 * mid-load and restarts it on the same data directory and port; one round
 * SIGKILLs the writer instead and starts a new writer process on the same
 * log (which recovers the killed writer's segment). The writer must keep
 * acknowledging after each fault. Then the last writer closes the log and
 * the independent checker (checker.ts) reads every replica and holds the
 * log to the ack records, and every entry has at least A valid copies
 * (== W is for the repair suite to assert, with checker.ts's
 * replicaCounts, once the auditor exists).
 *
 * Run with four nodes (a spare takes a killed node's place) and with three
 * (the restarted node must be taken back: a todo while the writer cannot).
 *
 * HERD_CHAOS_ROUNDS (default 3, at least 2) sets the number of rounds; CI
 * keeps the default (the folder takes about 70 s per target on a loaded
 * 2-core machine). For a longer run:
 * `HERD_CHAOS_ROUNDS=30 node test/run.mjs log/chaos/chaos`.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { forEachTarget, sleep, type Target } from '../../support/targets.js';
import { removeDirs } from '../node/support.js';
import { ChaosCluster } from './support.js';

after(removeDirs);

const ROUNDS = Math.max(2, Number(process.env.HERD_CHAOS_ROUNDS ?? 3));
/** Acknowledgements awaited between faults. */
const STRIDE = 150;
/** How long the writer may take to make progress after a fault, ms: liveness on a loaded machine, not speed. */
const LIVENESS = 45_000;
/** The same for the three-node case while it stalls (a todo): shorter, to keep CI within budget; still 20x what progress takes. */
const STALL_LIVENESS = 20_000;

/**
 * The rounds on `count` node processes; `liveness` ms for the writer to
 * acknowledge STRIDE more entries after each fault.
 */
async function chaosRounds(target: Target, count: number, liveness: number): Promise<void> {
  await using cluster = await ChaosCluster.start(target, count);
  let writer = await cluster.writer('chaos', 'w0');
  await writer.progress(STRIDE, liveness, 'a start');
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
    await writer.progress(STRIDE, liveness, `after round ${round}`);
  }
  await writer.stop(liveness);
  const report = await cluster.assertIntact('chaos');
  assert.ok(report.entries.length >= report.acks.length);
  assert.ok(report.snapshot.segments.length >= 2, "the killed writer's segment and its successor's");
}

forEachTarget('log chaos', (target) => {
  // Four nodes, E = 3: a killed node is replaced by the spare (an ensemble change), and comes back as the next spare.
  it(`${ROUNDS} rounds of SIGKILLed storage nodes and one SIGKILLed writer: the checker finds every acknowledged entry, once, in order`, { timeout: 60_000 + ROUNDS * 2 * LIVENESS }, () => chaosRounds(target(), 4, LIVENESS));

  // Three nodes, E = 3 (issue 13's setup): no spare, so the writer must take the restarted node back.
  // It does not yet: SegmentWriter never readmits a failed node of its ensemble, so the first node kill stalls the
  // writer for good (reported to the lead with a fix). A todo keeps the repro running without failing CI; remove
  // the todo once src/log/writer/segment-writer.ts readmits a restarted node.
  it(`three nodes, no spare: the writer goes on once a SIGKILLed node is restarted (${ROUNDS} rounds)`, { todo: 'the writer stalls: a failed ensemble node is never readmitted', timeout: 60_000 + ROUNDS * 2 * STALL_LIVENESS }, () => chaosRounds(target(), 3, STALL_LIVENESS));
}, { concurrency: false });
