import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BadArgumentsError } from '../../src/errors.js';
import {
  bankModel,
  checkLinearizable,
  kvModel,
  type BankInput,
  type BankOutput,
  type KvInput,
  type KvOutput,
  type Operation,
} from './linearizability.js';

type KvOp = Operation<KvInput, KvOutput>;
type BankOp = Operation<BankInput, BankOutput>;

const op = <I, O>(client: number, input: I, call: number, ret: number | undefined, output?: O) =>
  ({ client, input, call, return: ret, output }) as Operation<I, O>;
const get = (c: number, key: string, call: number, ret: number | undefined, value?: unknown): KvOp =>
  op(c, { op: 'get', key }, call, ret, value);
const put = (c: number, key: string, value: unknown, call: number, ret: number | undefined): KvOp =>
  op(c, { op: 'put', key, value }, call, ret, ret === undefined ? undefined : null);
const cas = (c: number, key: string, expected: unknown, value: unknown, call: number, ret: number, out: boolean) =>
  op<KvInput, KvOutput>(c, { op: 'cas', key, expected, value }, call, ret, out);

function assertIllegal<I, O>(result: ReturnType<typeof checkLinearizable<unknown, I, O>>): string {
  assert.equal(result.result, 'illegal', 'expected the history to be rejected');
  if (result.result !== 'illegal') throw new Error('unreachable');
  return result.partial.explanation;
}

/**
 * A history that really happened: `count` operations applied one after the
 * other by the model's own sequential semantics, each linearized at 10·i and
 * given a call/return interval around that point (so intervals overlap at
 * random but always contain the real order). Some calls are cut (pending):
 * either after they took effect or, for `lost` ones, without any effect.
 */
const realKvHistory = (keys: string[], maxOps: number, minOps = 1) =>
  fc
    .array(
      fc.record({
        kind: fc.constantFrom('get', 'get', 'put', 'cas', 'delete'),
        key: fc.constantFrom(...keys),
        value: fc.integer({ min: 0, max: 3 }),
        expected: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
        before: fc.integer({ min: 0, max: 35 }),
        after: fc.integer({ min: 0, max: 35 }),
        fate: fc.constantFrom('returned', 'returned', 'returned', 'returned', 'cut', 'lost'),
      }),
      { minLength: minOps, maxLength: maxOps },
    )
    .map((specs) => {
      const model = kvModel();
      let state = model.init();
      return specs.map((s, i): KvOp => {
        const point = 10 * i + 5;
        const input: KvInput =
          s.kind === 'get' || s.kind === 'delete'
            ? { op: s.kind, key: s.key }
            : s.kind === 'put'
              ? { op: 'put', key: s.key, value: s.value }
              : { op: 'cas', key: s.key, expected: s.expected, value: s.value };
        const call = point - s.before;
        if (s.fate === 'lost') return { client: i, input, call };
        const current = Object.hasOwn(state, s.key) ? state[s.key] : null;
        const output: KvOutput =
          input.op === 'get' ? current : input.op === 'put' ? null : input.op === 'cas' ? current === input.expected : current !== null;
        state = model.step(state, input, undefined).state;
        if (s.fate === 'cut') return { client: i, input, call };
        return { client: i, input, call, output, return: point + s.after };
      });
    });

describe('linearizability checker', () => {
  describe('key-value model, hand-written histories', () => {
    const kv = kvModel();

    it('accepts a concurrent write seen or not seen by an overlapping read', () => {
      assert.equal(checkLinearizable(kv, [put(1, 'x', 1, 0, 10), get(2, 'x', 2, 4, 1)]).result, 'ok');
      assert.equal(checkLinearizable(kv, [put(1, 'x', 1, 0, 10), get(2, 'x', 2, 4, null)]).result, 'ok');
      // Touching intervals count as concurrent.
      assert.equal(checkLinearizable(kv, [put(1, 'x', 1, 0, 5), get(2, 'x', 5, 6, null)]).result, 'ok');
    });

    it('rejects a stale read after a completed write, and explains where', () => {
      const history = [put(1, 'x', 1, 0, 1), put(1, 'x', 2, 2, 3), get(2, 'x', 4, 5, 1)];
      const explanation = assertIllegal(checkLinearizable(kv, history));
      assert.match(explanation, /longest linearizable prefix \(2 operations\)/);
      assert.match(explanation, /1\. client 1: put x=1/);
      assert.match(explanation, /2\. client 1: put x=2/);
      assert.match(explanation, /state after it: \{"x":2\}/);
      assert.match(explanation, /cannot place: client 2: get x -> 1 {2}\[call 4, return 5\]/);
    });

    it('rejects a lost write', () => {
      assertIllegal(checkLinearizable(kv, [put(1, 'x', 1, 0, 2), get(2, 'x', 3, 4, null)]));
      // Two compare-and-sets from "absent" cannot both win.
      assertIllegal(
        checkLinearizable(kv, [cas(1, 'x', null, 1, 0, 3, true), cas(2, 'x', null, 2, 1, 4, true)]),
      );
      assert.equal(
        checkLinearizable(kv, [cas(1, 'x', null, 1, 0, 3, true), cas(2, 'x', null, 2, 1, 4, false)]).result,
        'ok',
      );
    });

    it('rejects a read of a value never written', () => {
      const explanation = assertIllegal(checkLinearizable(kv, [put(1, 'x', 1, 0, 1), get(2, 'x', 0, 3, 7)]));
      assert.match(explanation, /cannot place: client 2: get x -> 7/);
    });

    it('rejects two concurrent writes read in contradictory orders by two readers', () => {
      const writes = [put(1, 'x', 1, 0, 100), put(2, 'x', 2, 0, 100)];
      const readerA = [get(3, 'x', 1, 2, 1), get(3, 'x', 3, 4, 2)];
      assertIllegal(checkLinearizable(kv, [...writes, ...readerA, get(4, 'x', 5, 6, 2), get(4, 'x', 7, 8, 1)]));
      assert.equal(
        checkLinearizable(kv, [...writes, ...readerA, get(4, 'x', 5, 6, 2), get(4, 'x', 7, 8, 2)]).result,
        'ok',
      );
    });

    it('lets a pending write take effect at any point after its call, or never', () => {
      const cut = put(1, 'x', 1, 0, undefined);
      assert.equal(checkLinearizable(kv, [cut, get(2, 'x', 5, 6, 1)]).result, 'ok', 'took effect');
      assert.equal(checkLinearizable(kv, [cut, get(2, 'x', 5, 6, null)]).result, 'ok', 'never took effect');
      assert.equal(
        checkLinearizable(kv, [cut, get(2, 'x', 5, 6, null), get(2, 'x', 7, 8, 1)]).result,
        'ok',
        'took effect late',
      );
      // Once seen, it cannot be undone, and it cannot act before its call.
      assertIllegal(checkLinearizable(kv, [cut, get(2, 'x', 5, 6, 1), get(2, 'x', 7, 8, null)]));
      assertIllegal(checkLinearizable(kv, [put(1, 'x', 1, 10, undefined), get(2, 'x', 5, 6, 1)]));
    });

    it('checks each key on its own and reports the key that failed', () => {
      const history = [put(1, 'a', 1, 0, 1), put(1, 'b', 1, 2, 3), get(2, 'a', 4, 5, 1), get(2, 'b', 4, 5, 9)];
      const result = checkLinearizable(kv, history);
      assert.equal(result.result, 'illegal');
      if (result.result !== 'illegal') return;
      assert.equal(result.partial.partition, 1);
      assert.ok(result.partial.operations.every((o) => o.input.key === 'b'));
    });

    it('starts from the initial keys it is given', () => {
      const history = [get(1, 'x', 0, 1, 'seed'), op<KvInput, KvOutput>(1, { op: 'delete', key: 'x' }, 2, 3, true)];
      assert.equal(checkLinearizable(kvModel({ initial: { x: 'seed' } }), history).result, 'ok');
      assertIllegal(checkLinearizable(kv, history));
    });

    it('rejects a history whose times make no sense', () => {
      assert.throws(() => checkLinearizable(kv, [get(1, 'x', 5, 4, null)]), BadArgumentsError);
      assert.throws(() => checkLinearizable(kv, [get(1, 'x', NaN, 4, null)]), BadArgumentsError);
    });
  });

  describe('bank model', () => {
    const bank = bankModel({ a: 100, b: 0, c: 0 });
    const transfer = (c: number, from: string, to: string, amount: number, call: number, ret?: number, out?: boolean) =>
      op<BankInput, BankOutput>(c, { op: 'transfer', from, to, amount }, call, ret, ret === undefined ? undefined : (out ?? true));
    const read = (c: number, call: number, ret: number, balances: Record<string, number>) =>
      op<BankInput, BankOutput>(c, { op: 'read' }, call, ret, balances);

    it('accepts reads that some order of concurrent transfers produces', () => {
      const history = [
        transfer(1, 'a', 'b', 10, 0, 10),
        transfer(2, 'b', 'c', 10, 0, 10),
        read(3, 1, 2, { a: 90, b: 10, c: 0 }),
        read(3, 3, 4, { a: 90, b: 0, c: 10 }),
        read(4, 11, 12, { a: 90, b: 0, c: 10 }),
      ];
      assert.equal(checkLinearizable(bank, history).result, 'ok');
    });

    it('rejects a read mid-transfer (the total changed) and a read no order explains', () => {
      const mid = assertIllegal(
        checkLinearizable(bank, [transfer(1, 'a', 'b', 10, 0, 10), read(2, 1, 2, { a: 90, b: 0, c: 0 })]),
      );
      assert.match(mid, /sums to 90, the total is 100/);
      // b->c of 10 can only succeed after a->b: c=10 with a=100 is impossible.
      assertIllegal(
        checkLinearizable(bank, [
          transfer(1, 'a', 'b', 10, 0, 10),
          transfer(2, 'b', 'c', 10, 0, 10),
          read(3, 1, 2, { a: 100, b: -10, c: 10 }),
        ]),
      );
      // A transfer refused for want of funds, though the funds were surely there.
      assertIllegal(checkLinearizable(bank, [transfer(1, 'a', 'b', 50, 0, 1, false)]));
    });

    it('returns unknown when the time budget runs out', () => {
      // 24 overlapping transfers of distinct amounts and a read no subset sums to: every subset is a distinct state.
      const history: BankOp[] = Array.from({ length: 24 }, (_, i) =>
        transfer(i, 'a', 'b', 2 ** i, 0, 100),
      );
      const rich = bankModel({ a: 2 ** 25, b: 0 });
      history.push(read(99, 1, 2, { a: 2 ** 25 + 1, b: -1 }));
      const started = Date.now();
      assert.equal(checkLinearizable(rich, history, { timeout: 50 }).result, 'unknown');
      assert.ok(Date.now() - started < 5000);
    });
  });

  describe('properties', () => {
    it('accepts every history a real sequential execution produces', () => {
      fc.assert(
        fc.property(realKvHistory(['a', 'b', 'c'], 60), (history) => {
          const result = checkLinearizable(kvModel(), history);
          assert.equal(result.result, 'ok', result.result === 'illegal' ? result.partial.explanation : '');
        }),
        { numRuns: 200 },
      );
    });

    it('rejects the same history with one read changed to a value never written', () => {
      fc.assert(
        fc.property(realKvHistory(['a', 'b'], 40), fc.nat(), (history, pick) => {
          const reads = history.filter((o) => o.input.op === 'get' && o.return !== undefined);
          fc.pre(reads.length > 0);
          const victim = reads[pick % reads.length]!;
          // No operation writes a string and no key starts with one: no state holds it.
          const mutated = history.map((o) => (o === victim ? { ...o, output: 'never written' } : o));
          const result = checkLinearizable(kvModel(), mutated);
          assert.equal(result.result, 'illegal');
          if (result.result === 'illegal') assert.equal(result.partial.blocked.output, 'never written');
        }),
        { numRuns: 100 },
      );
    });

    it('accepts real bank histories and rejects them with one read off by one unit', () => {
      const accounts = ['a', 'b', 'c'];
      const spec = fc.array(
        fc.record({
          read: fc.boolean(),
          from: fc.constantFrom(...accounts),
          to: fc.constantFrom(...accounts),
          amount: fc.integer({ min: 1, max: 40 }),
          before: fc.integer({ min: 0, max: 30 }),
          after: fc.integer({ min: 0, max: 30 }),
        }),
        { minLength: 1, maxLength: 40 },
      );
      fc.assert(
        fc.property(spec, fc.nat(), (specs, pick) => {
          const model = bankModel({ a: 50, b: 50, c: 0 });
          let state = model.init();
          const history = specs.map((s, i): BankOp => {
            const input: BankInput = s.read ? { op: 'read' } : { op: 'transfer', from: s.from, to: s.to, amount: s.amount };
            const output: BankOutput = s.read ? state : state[s.from]! >= s.amount;
            state = model.step(state, input, undefined).state;
            return { client: i, input, call: 10 * i - s.before, output, return: 10 * i + s.after };
          });
          assert.equal(checkLinearizable(model, history).result, 'ok');
          const reads = history.filter((o) => o.input.op === 'read');
          fc.pre(reads.length > 0);
          const victim = reads[pick % reads.length]!;
          // The total is invariant, so a read that sums to one more is in no state.
          const seen = victim.output as Record<string, number>;
          const mutated = history.map((o) => (o === victim ? { ...o, output: { ...seen, a: seen.a! + 1 } } : o));
          assert.equal(checkLinearizable(model, mutated).result, 'illegal');
        }),
        { numRuns: 100 },
      );
    });
  });

  it('checks a 2,000-operation history over 10 keys quickly (partitioned per key)', () => {
    const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
    const [long] = fc.sample(realKvHistory(keys, 2000, 2000), { numRuns: 1, seed: 18 });
    assert.equal(long!.length, 2000);
    const started = Date.now();
    const result = checkLinearizable(kvModel(), long!, { timeout: 60_000 });
    const elapsed = Date.now() - started;
    assert.equal(result.result, 'ok');
    // Liveness, not a benchmark: it takes well under a second here, alone.
    assert.ok(elapsed < 10_000, `took ${elapsed} ms`);
  });
});
