/**
 * The herd/1 messages for streams, callbacks, references and batches
 * (kinds 7-14, CALL's handles), without a server: they round-trip, and
 * every wrong shape is a ProtocolError.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Packr } from 'msgpackr';
import { ProtocolError } from '../../src/rpc/index.js';
import { HerdCodec } from '../../src/rpc/codec.js';
import type { CallMessage, Message } from '../../src/rpc/protocol.js';

const codec = new HerdCodec();

describe('rpc protocol: handles', () => {
  test('streams, callbacks, references and batches round-trip', () => {
    const call: CallMessage = { kind: 'call', id: 4, target: 'svc', method: 'm', args: [null, 2, null], timeout: 100, handles: [[0, 'fn', 7], [2, 'stream', 8]] };
    const messages: Message[] = [
      call,
      { kind: 'handle', id: 1, type: 'stream', handle: 3, methods: [] },
      { kind: 'handle', id: 2, type: 'ref', handle: 4, methods: ['inc', 'name'] },
      { kind: 'item', handle: 3, value: { deep: [new Date(1), 2n] } },
      { kind: 'item', handle: 3, value: undefined },
      { kind: 'end', handle: 3, error: undefined },
      { kind: 'end', handle: 3, error: { name: 'QuotaError', message: 'm', code: 'QUOTA', stack: 's' } },
      { kind: 'credit', handle: 3, n: 16 },
      { kind: 'stop', handle: 3 },
      { kind: 'release', handle: 4 },
      { kind: 'batch', calls: [{ kind: 'call', id: 5, target: 's', method: 'a', args: [], timeout: 1 }, call] },
      { kind: 'hold', handle: 4, path: '/herd/rpc-holders/x' },
    ];
    for (const m of messages) assert.deepEqual(codec.decode(codec.encode(m)), m, m.kind);
  });

  test('wrong shapes are ProtocolErrors', () => {
    const packr = new Packr({ useRecords: true });
    const bad: unknown[][] = [
      [1, 1, 't', 'm', [1], 5, [[1, 'fn', 2]]], // handle index past the arguments
      [1, 1, 't', 'm', [1], 5, [[0, 'object', 2]]],
      [1, 1, 't', 'm', [1], 5, 'handles'],
      [7, 1, 'socket', 2, []],
      [7, 1, 'ref', 2, [3]],
      [8, 'h', 1],
      [8, 1],
      [9, 1, 'not an error'],
      [10, 1, 0],
      [10, 1, -3],
      [11, 'x'],
      [12, -1],
      [13, []],
      [13, [[1, 'no', 'fields']]],
      [13, ['not a call']],
      [14, 1, 'relative/path'],
      [14, 1],
    ];
    for (const b of bad) assert.throws(() => codec.decode(packr.pack(b)), ProtocolError, JSON.stringify(b));
  });
});
