import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkSegmentChange, openSegment, replaceEnsembleMember, type SegmentMetadata } from '../../../src/log/metadata/records.js';
import { entriesOfMember, segmentReplication } from '../../../src/log/repair/replication.js';

const Q = { ensembleSize: 3, writeQuorum: 2, ackQuorum: 2 };
const closed = (): SegmentMetadata => ({
  ...openSegment('app', 'w', Q, ['a', 'b', 'c'], 1),
  ensembles: [
    { firstEntry: 0, nodes: ['a', 'b', 'c'] },
    { firstEntry: 6, nodes: ['a', 'd', 'c'] },
  ],
  state: 'CLOSED',
  lastEntry: 8,
  minTimestamp: 10,
  maxTimestamp: 20,
});

describe('log repair: the CLOSED-segment transition and what a lost member held', () => {
  it('a CLOSED segment changes only by one ensemble member replaced by a node outside that ensemble', () => {
    const s = closed();
    const repaired = replaceEnsembleMember(s, 0, 'b', 'e');
    assert.deepEqual(repaired.ensembles[0]!.nodes, ['a', 'e', 'c']);
    assert.deepEqual(repaired.ensembles[1], s.ensembles[1]);
    checkSegmentChange(s, repaired);
    assert.throws(() => replaceEnsembleMember(s, 0, 'b', 'c'), { name: 'BadArgumentsError' });
    assert.throws(() => replaceEnsembleMember(s, 0, 'x', 'e'), { name: 'BadArgumentsError' });
    assert.throws(() => replaceEnsembleMember(s, 2, 'b', 'e'), { name: 'BadArgumentsError' });
    assert.throws(() => replaceEnsembleMember({ ...s, state: 'OPEN' }, 0, 'b', 'e'), { name: 'InvalidStateError' });
    assert.throws(() => checkSegmentChange(s, s), { name: 'InvalidStateError' });
    assert.throws(() => checkSegmentChange(s, { ...repaired, lastEntry: 9 }), { name: 'InvalidStateError' });
    assert.throws(() => checkSegmentChange(s, { ...repaired, ensembles: [{ firstEntry: 0, nodes: ['e', 'f', 'c'] }, s.ensembles[1]!] }), /2 members changed/);
    assert.throws(() => checkSegmentChange(s, { ...s, ensembles: [s.ensembles[0]!, { firstEntry: 5, nodes: ['a', 'e', 'c'] }] }), { name: 'InvalidStateError' });
    assert.throws(() => checkSegmentChange(s, { ...s, state: 'OPEN' }), { name: 'InvalidStateError' });
  });

  it("a member holds its write-set entries of its ensemble's span; the analysis finds what is missing", () => {
    const s = closed();
    // E=3, W=2: entry e goes to nodes[e % 3] and nodes[(e + 1) % 3].
    assert.deepEqual(entriesOfMember(s, 0, 'a', s.lastEntry), [0, 2, 3, 5]);
    assert.deepEqual(entriesOfMember(s, 0, 'b', s.lastEntry), [0, 1, 3, 4]);
    assert.deepEqual(entriesOfMember(s, 1, 'd', s.lastEntry), [6, 7]);
    const r = segmentReplication(s, s.lastEntry, (n) => n !== 'a');
    assert.deepEqual(
      r.missing.map((m) => [m.ensembleIndex, m.node, m.entries]),
      [
        [0, 'a', [0, 2, 3, 5]],
        [1, 'a', [6, 8]],
      ],
    );
    assert.equal(r.underReplicatedEntries, 6);
    // An ensemble with no entries holds nothing: nothing is missing there.
    const empty = { ...s, lastEntry: 5 };
    assert.deepEqual(segmentReplication(empty, 5, (n) => n !== 'd').missing, []);
  });
});
