import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EntryIndex, PAGE_SIZE } from '../../../src/log/storage/entry-index.js';

describe('log storage: entry index', () => {
  it('keeps each entry\'s place and timestamp, -1/NaN for the entries it has none of', () => {
    const index = new EntryIndex();
    index.setStored(5, 800, 40, 1000);
    assert.equal(index.offset(5), 800);
    assert.equal(index.length(5), 40);
    assert.equal(index.timestamp(5), 1000);
    assert.equal(index.offset(4), -1);
    assert.ok(Number.isNaN(index.timestamp(4)));
    assert.equal(index.offset(10 ** 12), -1);
    assert.equal(index.limit, 6);
    index.clear(5);
    assert.equal(index.offset(5), -1);
    assert.ok(Number.isNaN(index.timestamp(5)));
  });

  it('finds the nearest entries with timestamps across empty pages, both ways', () => {
    const index = new EntryIndex();
    const far = 2 ** 48;
    index.setStored(3, 0, 10, 100);
    index.setTimestamp(PAGE_SIZE * 7 + 2, 200);
    index.setStored(far, 10, 10, 300);
    assert.equal(index.limit, far + 1);
    assert.equal(index.nextWithTimestamp(0, index.limit), 3);
    assert.equal(index.nextWithTimestamp(4, index.limit), PAGE_SIZE * 7 + 2);
    assert.equal(index.nextWithTimestamp(PAGE_SIZE * 7 + 3, index.limit), far);
    assert.equal(index.nextWithTimestamp(PAGE_SIZE * 7 + 3, far), undefined);
    assert.equal(index.previousWithTimestamp(far), PAGE_SIZE * 7 + 2);
    assert.equal(index.previousWithTimestamp(PAGE_SIZE * 7 + 2), 3);
    assert.equal(index.previousWithTimestamp(3), undefined);
    index.setTimestamp(PAGE_SIZE * 7 + 2, NaN);
    assert.equal(index.previousWithTimestamp(far), 3);
    // Clearing what was never there allocates nothing.
    index.setTimestamp(2 ** 40, NaN);
    assert.equal(index.nextWithTimestamp(2 ** 40 - 5, far), undefined);
  });
});
