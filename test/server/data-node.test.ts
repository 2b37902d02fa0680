import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StatCodec } from '../../src/jute/records/stat.js';
import { JuteWriter } from '../../src/jute/writer.js';
import { DataNode } from '../../src/server/data-node.js';
import { EphemeralOwner } from '../../src/server/txn.js';

describe('DataNode.writeStat', () => {
  it('writes exactly the bytes StatCodec writes for stat(), for every kind of owner', () => {
    const owners = [0n, 0x1234_5678_9abcn, EphemeralOwner.container, EphemeralOwner.ttl(60_000)];
    for (const owner of owners) {
      const node = new DataNode(Buffer.from('value'), [], 2 ** 40 + 3, 2 ** 41 + 5, 1_700_000_000_123, 1_700_000_000_456, 7, 4, 2, owner, 2 ** 42 + 9);
      node.children = new Set(['a', 'b']);
      const expected = new JuteWriter();
      StatCodec.write(expected, node.stat());
      const actual = new JuteWriter();
      node.writeStat(actual);
      assert.deepEqual(actual.take(), expected.take(), `owner ${owner}`);
    }
  });
});
