import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeLogMetadata, decodeSegmentMetadata, encodeRecord } from '../../../src/log/metadata/codec.js';
import { checkLogName, segmentIdOf, segmentPath } from '../../../src/log/metadata/layout.js';
import { checkQuorums, checkSegmentChange, ensembleOf, openSegment, writeSetOf, type SegmentMetadata } from '../../../src/log/metadata/records.js';

const Q = { ensembleSize: 3, writeQuorum: 2, ackQuorum: 2 };
const opened = (): SegmentMetadata => openSegment('app', 'writer-1', Q, ['a', 'b', 'c'], 1000);

describe('log metadata records', () => {
  it('quorums need integers with E >= W >= A >= 1', () => {
    checkQuorums({ ensembleSize: 1, writeQuorum: 1, ackQuorum: 1 });
    checkQuorums(Q);
    for (const bad of [
      { ensembleSize: 2, writeQuorum: 3, ackQuorum: 2 },
      { ensembleSize: 3, writeQuorum: 2, ackQuorum: 3 },
      { ensembleSize: 3, writeQuorum: 3, ackQuorum: 0 },
      { ensembleSize: 3.5, writeQuorum: 3, ackQuorum: 2 },
    ]) {
      assert.throws(() => checkQuorums(bad), { name: 'BadArgumentsError' });
    }
  });

  it('log names are one safe path segment', () => {
    for (const good of ['app', 'app-events.v2', 'A_1']) checkLogName(good);
    for (const bad of ['', '.', '..', '-x', 'a/b', 'a b', 'x'.repeat(201)]) assert.throws(() => checkLogName(bad), { name: 'BadArgumentsError' });
  });

  it('segment paths hold ten digits and id nodes give their sequence back', () => {
    assert.equal(segmentPath(42), '/herd/log/segments/0000000042');
    assert.equal(segmentIdOf('/herd/log/ids/id-0000000042'), 42);
    assert.throws(() => segmentIdOf('/herd/log/ids/id-42'));
  });

  it('entries go round-robin to W nodes of the ensemble that holds them', () => {
    const s = opened();
    assert.deepEqual(writeSetOf(s, 0), ['a', 'b']);
    assert.deepEqual(writeSetOf(s, 1), ['b', 'c']);
    assert.deepEqual(writeSetOf(s, 2), ['c', 'a']);
    const changed: SegmentMetadata = { ...s, ensembles: [...s.ensembles, { firstEntry: 5, nodes: ['a', 'd', 'c'] }] };
    assert.deepEqual(ensembleOf(changed, 4).nodes, ['a', 'b', 'c']);
    assert.deepEqual(writeSetOf(changed, 7), ['d', 'c']);
  });

  it('states move OPEN -> IN_RECOVERY -> CLOSED and never back', () => {
    const open = opened();
    const recovering: SegmentMetadata = { ...open, state: 'IN_RECOVERY' };
    const closed: SegmentMetadata = { ...open, state: 'CLOSED', lastEntry: 9, minTimestamp: 5, maxTimestamp: 7 };
    checkSegmentChange(open, recovering);
    checkSegmentChange(recovering, recovering);
    checkSegmentChange(recovering, closed);
    checkSegmentChange(open, closed);
    assert.throws(() => checkSegmentChange(closed, open), { name: 'InvalidStateError' });
    assert.throws(() => checkSegmentChange(recovering, open), { name: 'InvalidStateError' });
    assert.throws(() => checkSegmentChange(closed, closed), { name: 'InvalidStateError' });
  });

  it('a change keeps what is fixed and only appends or replaces the last ensemble', () => {
    const open = opened();
    assert.throws(() => checkSegmentChange(open, { ...open, writer: 'other' }), /writer cannot change/);
    assert.throws(() => checkSegmentChange(open, { ...open, ackQuorum: 1 }), /ackQuorum cannot change/);
    const appended: SegmentMetadata = { ...open, ensembles: [...open.ensembles, { firstEntry: 5, nodes: ['a', 'd', 'c'] }] };
    checkSegmentChange(open, appended);
    // A second failure before entry 5 was acknowledged: the ensemble from 5 is replaced.
    checkSegmentChange(appended, { ...open, ensembles: [open.ensembles[0]!, { firstEntry: 5, nodes: ['a', 'e', 'c'] }] });
    assert.throws(() => checkSegmentChange(appended, open), /cannot be dropped/);
    assert.throws(() => checkSegmentChange(appended, { ...open, ensembles: [{ firstEntry: 0, nodes: ['x', 'b', 'c'] }, appended.ensembles[1]!] }), /ensemble 0/);
    assert.throws(() => checkSegmentChange(open, { ...open, ensembles: [{ firstEntry: 0, nodes: ['a', 'a', 'c'] }] }), /3 distinct nodes/);
    assert.throws(() => checkSegmentChange(open, { ...appended, ensembles: [open.ensembles[0]!, { firstEntry: 0, nodes: ['a', 'd', 'c'] }] }), /increasing/);
  });

  it('a closed segment has a consistent last entry and time range', () => {
    const open = opened();
    checkSegmentChange(open, { ...open, state: 'CLOSED', lastEntry: -1 });
    assert.throws(() => checkSegmentChange(open, { ...open, state: 'CLOSED', lastEntry: -1, minTimestamp: 1, maxTimestamp: 1 }), /empty one neither/);
    assert.throws(() => checkSegmentChange(open, { ...open, state: 'CLOSED', lastEntry: 3, minTimestamp: 9, maxTimestamp: 1 }), /minTimestamp <= maxTimestamp/);
    const appended: SegmentMetadata = { ...open, ensembles: [...open.ensembles, { firstEntry: 5, nodes: ['a', 'd', 'c'] }] };
    assert.throws(() => checkSegmentChange(appended, { ...appended, state: 'CLOSED', lastEntry: 2, minTimestamp: 1, maxTimestamp: 2 }), /after the last entry/);
  });

  it('records round-trip through JSON, and what is not a record is refused naming its znode', () => {
    const s = opened();
    assert.deepEqual(decodeSegmentMetadata('/s', encodeRecord(s)), s);
    const log = { format: 1 as const, ...Q, segments: [4, 6], createdAt: 1 };
    assert.deepEqual(decodeLogMetadata('/l', encodeRecord(log)), log);
    const cases: Array<[Buffer | null, RegExp]> = [
      [null, /\/herd\/log\/segments\/0000000001: not JSON/],
      [Buffer.from('{"format":2}'), /unknown format 2/],
      [Buffer.from('[1]'), /not a JSON object/],
      [Buffer.from(JSON.stringify({ ...s, state: 'DONE' })), /unknown state "DONE"/],
      [Buffer.from(JSON.stringify({ ...s, lastEntry: -2 })), /lastEntry must be an integer >= -1/],
      [Buffer.from(JSON.stringify({ ...s, ensembles: [{ firstEntry: 0, nodes: [1] }] })), /instance ids/],
      [Buffer.from(JSON.stringify({ ...s, writeQuorum: 4 })), /E >= W >= A/],
    ];
    for (const [bytes, message] of cases) {
      assert.throws(() => decodeSegmentMetadata('/herd/log/segments/0000000001', bytes), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'UNEXPECTED_DATA');
        assert.match(error.message, message);
        return true;
      });
    }
    assert.throws(() => decodeLogMetadata('/l', Buffer.from(JSON.stringify({ ...log, segments: [1, -1] }))), /list of segment ids/);
    // The retention policy is part of the record: kept (its two fields only), and a bad one refused.
    const kept = { ...log, retention: { maxAge: 60_000 } };
    assert.deepEqual(decodeLogMetadata('/l', Buffer.from(JSON.stringify({ ...kept, retention: { maxAge: 60_000, other: 1 } }))), kept);
    assert.throws(() => decodeLogMetadata('/l', Buffer.from(JSON.stringify({ ...log, retention: { maxAge: -1 } }))), (error: Error & { code?: string }) => error.code === 'UNEXPECTED_DATA' && /\/l: retention.maxAge/.test(error.message));
  });
});
