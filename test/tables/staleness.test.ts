import assert from 'node:assert/strict';
import { it } from 'node:test';
import { isStaleRead, type StalenessInput } from '../../src/tables/index.js';

/** The staleness rule of local reads with maxStaleness, as a table (rqlite's IsStaleRead test). */
const p = (entryId: number, segmentId = 1) => ({ segmentId, entryId });

const cases: [string, StalenessInput, boolean][] = [
  ['nothing heard of', { applied: null, newest: null, behindSince: undefined, now: 1000, maxStaleness: 10 }, false],
  ['caught up', { applied: p(5), newest: p(5), behindSince: undefined, now: 1000, maxStaleness: 10 }, false],
  ['ahead of what was heard', { applied: p(6), newest: p(5), behindSince: undefined, now: 1000, maxStaleness: 10 }, false],
  ['behind, within the bound', { applied: p(4), newest: p(5), behindSince: 995, now: 1000, maxStaleness: 10 }, false],
  ['behind, exactly at the bound', { applied: p(4), newest: p(5), behindSince: 990, now: 1000, maxStaleness: 10 }, false],
  ['behind, past the bound', { applied: p(4), newest: p(5), behindSince: 989, now: 1000, maxStaleness: 10 }, true],
  ['nothing applied, past the bound', { applied: null, newest: p(0), behindSince: 0, now: 1000, maxStaleness: 10 }, true],
  ['behind a newer segment', { applied: p(900, 1), newest: p(0, 2), behindSince: 0, now: 1000, maxStaleness: 999 }, true],
  ['maxStaleness 0, behind for 1 ms', { applied: p(4), newest: p(5), behindSince: 999, now: 1000, maxStaleness: 0 }, true],
  ['maxStaleness 0, just fell behind', { applied: p(4), newest: p(5), behindSince: 1000, now: 1000, maxStaleness: 0 }, false],
];

for (const [name, input, stale] of cases) {
  it(`isStaleRead: ${name} -> ${stale}`, () => assert.equal(isStaleRead(input), stale));
}
