/**
 * chaos.test.ts's rounds on three storage nodes with E = 3 (issue 13's
 * setup): no spare, so after a node is SIGKILLed and restarted with its
 * data, the writer must take it back into its ensemble to go on.
 *
 * A todo: it does not yet. SegmentWriter (src/log/writer/segment-writer.ts,
 * replace) only picks replacements outside the ensemble and never
 * readmits a failed node, so the first kill stalls the writer for good
 * (nothing is acknowledged while an ensemble change is pending). The todo
 * keeps the repro running without failing CI; drop it once the writer
 * readmits a restarted node. HERD_CHAOS_ROUNDS applies here too.
 */
import { after, it } from 'node:test';
import { forEachTarget } from '../../support/targets.js';
import { removeDirs } from '../node/support.js';
import { chaosRounds, CHAOS_ROUNDS as ROUNDS } from './support.js';

after(removeDirs);

/** ms for the writer to make progress after a fault: shorter than chaos.test.ts's while this stalls, to keep CI within budget; still far beyond the second or so progress takes. */
const LIVENESS = 15_000;

forEachTarget('log chaos: three nodes', (target) => {
  it(`no spare: the writer goes on once a SIGKILLed node is restarted (${ROUNDS} rounds)`, { todo: 'the writer stalls: a failed ensemble node is never readmitted', timeout: 60_000 + ROUNDS * 2 * LIVENESS }, () => chaosRounds(target(), 3, LIVENESS));
}, { concurrency: false });
