/**
 * chaos.test.ts's rounds on three storage nodes with E = 3 (issue 13's
 * setup): no spare, so after a node is SIGKILLed and restarted with its
 * data, the writer must take it back into its ensemble to go on.
 *
 * SegmentWriter.replace readmits a failed node that answers again when no
 * node outside the ensemble is live (before that, the first kill stalled
 * the writer for good: nothing is acknowledged while an ensemble change is
 * pending). HERD_CHAOS_ROUNDS applies here too.
 */
import { after, it } from 'node:test';
import { forEachTarget } from '../../support/targets.js';
import { removeDirs } from '../node/support.js';
import { chaosRounds, CHAOS_ROUNDS as ROUNDS, REPAIR_TIMEOUT } from './support.js';

after(removeDirs);

/** ms for the writer to make progress after a fault: far beyond the second or so progress takes, even on a loaded machine. */
const LIVENESS = 30_000;

forEachTarget('log chaos: three nodes', (target) => {
  it(`no spare: the writer goes on once a SIGKILLed node is restarted (${ROUNDS} rounds), and every entry is back to W copies after repair`, { timeout: 60_000 + ROUNDS * 2 * LIVENESS + REPAIR_TIMEOUT }, () => chaosRounds(target(), 3, LIVENESS, { repairTimeout: REPAIR_TIMEOUT }));
}, { concurrency: false });
