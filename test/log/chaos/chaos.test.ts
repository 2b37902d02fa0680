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
 * then, once the nodes' auditors (2 s grace period, `--grace-period`)
 * repaired, W valid copies (REPAIR_TIMEOUT).
 *
 * Four nodes, so that a spare takes a killed node's place (E = 3);
 * chaos-three-nodes.test.ts runs the same rounds on three.
 *
 * HERD_CHAOS_ROUNDS (default 3, at least 2) sets the number of rounds; CI
 * keeps the default (the folder takes about 70 s per target on a
 * 2-core machine). For a longer run:
 * `HERD_CHAOS_ROUNDS=30 node test/run.mjs log/chaos/chaos`.
 */
import { after, it } from 'node:test';
import { forEachTarget } from '../../support/targets.js';
import { removeDirs } from '../node/support.js';
import { chaosRounds, CHAOS_ROUNDS as ROUNDS, REPAIR_TIMEOUT } from './support.js';

after(removeDirs);

/** How long the writer may take to make progress after a fault, ms: liveness on a loaded machine, not speed. */
const LIVENESS = 45_000;
forEachTarget('log chaos', (target) => {
  // Four nodes, E = 3: a killed node is replaced by the spare (an ensemble change), and comes back as the next spare.
  it(`four nodes, ${ROUNDS} rounds of SIGKILLed storage nodes and one SIGKILLed writer: the checker finds every acknowledged entry, once, in order, each with at least A valid copies then W copies of every entry after repair`, { timeout: 60_000 + ROUNDS * 2 * LIVENESS + REPAIR_TIMEOUT }, () => chaosRounds(target(), 4, LIVENESS, { repairTimeout: REPAIR_TIMEOUT }));
}, { concurrency: false });
