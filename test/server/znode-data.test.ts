import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyZnodeData } from '../../src/server/znode-data.js';

describe('copyZnodeData', () => {
  it('copies: later changes to the source do not show', () => {
    const source = Buffer.from('hello world');
    const copy = copyZnodeData(source)!;
    source.fill(0);
    assert.equal(copy.toString(), 'hello world');
  });

  it('keeps null and empty values as they are', () => {
    assert.equal(copyZnodeData(null), null);
    assert.equal(copyZnodeData(Buffer.alloc(0))!.length, 0);
  });

  it('gives every value its own bytes across slab boundaries and for large values', () => {
    const values = Array.from({ length: 2000 }, (_, i) => Buffer.alloc(1 + (i % 300), i & 255));
    values.push(Buffer.alloc(5000, 7), Buffer.alloc(1025, 9));
    const copies = values.map((v) => copyZnodeData(v)!);
    copies.forEach((c, i) => assert.ok(c.equals(values[i]!), `value ${i}`));
    // Writing one copy must not touch a neighbour in the same slab.
    copies[10]!.fill(0xff);
    assert.ok(copies[9]!.equals(values[9]!) && copies[11]!.equals(values[11]!));
  });
});
