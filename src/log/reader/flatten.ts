/**
 * An async iterator over the items of an async iterator of arrays,
 * without an async generator: a generator's `yield` costs a few hundred ns
 * (a queued request, a resumption, an awaited value), more than a range
 * read of 100-byte entries may spend on an entry; here an item already in
 * hand costs one resolved promise. Measured 170-380 ns against 70-100 ns
 * an item on this machine.
 */
export function flattenBatches<T>(batches: AsyncIterator<readonly T[]>): AsyncIterableIterator<T> {
  let batch: readonly T[] = [];
  let at = 0;
  let ended = false;
  // A refill in progress: a next() called meanwhile waits for it (for-await never does; a hand-driven caller may).
  let refilling: Promise<unknown> | undefined;
  const refill = async (): Promise<IteratorResult<T>> => {
    while (at >= batch.length) {
      if (ended) return { value: undefined, done: true };
      const r = await batches.next();
      if (r.done === true) ended = true;
      else {
        batch = r.value;
        at = 0;
      }
    }
    return { value: batch[at++]!, done: false };
  };
  const iterator: AsyncIterableIterator<T> = {
    [Symbol.asyncIterator]() {
      return iterator;
    },
    next(): Promise<IteratorResult<T>> {
      if (refilling === undefined && at < batch.length) return Promise.resolve({ value: batch[at++]!, done: false });
      const result = (refilling ?? Promise.resolve()).then(refill);
      const settled = result.then(
        () => undefined,
        () => undefined,
      );
      refilling = settled;
      void settled.then(() => {
        if (refilling === settled) refilling = undefined;
      });
      return result;
    },
    async return(): Promise<IteratorResult<T>> {
      ended = true;
      batch = [];
      await batches.return?.();
      return { value: undefined, done: true };
    },
  };
  return iterator;
}
