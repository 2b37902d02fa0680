/**
 * A linearizability checker over recorded histories, independent of the
 * systems it judges (the tables and log chaos tests record what their
 * clients saw and ask this module whether some sequential order explains it).
 *
 * ## Algorithm
 *
 * Wing & Gong's search with Lowe's memoization, the approach Porcupine takes.
 * The history becomes one list of call and return events sorted by time (a
 * call before a return at the same instant, so touching intervals count as
 * concurrent: the permissive reading of a coarse clock). The search walks the
 * list: at a call event it tries to linearize that operation now (the model
 * must accept its output in the current state); if it can, the operation's
 * call and return are lifted out of the list and the walk restarts at the
 * head. Reaching a return event means the operation that returns there was
 * not linearized before its return, so the last choice is undone
 * (backtracking) and the walk moves to the next candidate. The history is
 * linearizable when the list empties. Lowe's memo records every (set of
 * linearized operations, model state) pair already explored: reaching one
 * again cannot succeed where it failed before, which prunes most of the
 * search in practice.
 *
 * ## Cost
 *
 * Deciding linearizability is NP-complete: the worst case is exponential in
 * the number of operations that overlap in time (each can be ordered in any
 * way among the others). Histories of real systems overlap little, and the
 * memo cuts the repetitions, so they check fast; a pathological history can
 * still run for ever, hence the `timeout` and the `'unknown'` result.
 *
 * ## Partitioning (P-compositionality)
 *
 * A history is linearizable iff each of its per-object sub-histories is
 * (Herlihy & Wing's locality). A model whose operations each touch one key
 * says so with `partition`, and each key's history is checked on its own: the
 * exponent is then the overlap within one key, not across the whole history,
 * which is the difference between milliseconds and never for a history of
 * thousands of operations.
 *
 * ## Recording a history
 *
 * - Take `call` (any monotonic clock, e.g. `performance.now()`) just before
 *   the request is sent, and `return` just after the reply is received, so
 *   the interval surely contains the moment the system applied it.
 * - A call with no reply (the connection dropped, the process was killed, the
 *   call timed out) stays pending: leave `return` (and `output`) undefined.
 *   It may have taken effect at any point after its call, or never; the
 *   checker considers both.
 * - Failed calls that surely had no effect (a rejected argument) can be left
 *   out; a call whose outcome is unknown must be recorded as pending.
 * - Every client runs one call at a time (a client is a sequential process);
 *   concurrency comes from several clients.
 */
import { isDeepStrictEqual } from 'node:util';
import { BadArgumentsError } from '../../src/errors.js';

/**
 * One recorded call. `call` and `return` are times on one monotonic clock
 * (any unit). `return === undefined` means the call never returned: it may or
 * may not have taken effect. `output === undefined` means the output is
 * unknown: the model accepts any.
 */
export interface Operation<I, O> {
  client: number | string;
  input: I;
  call: number;
  output?: O;
  return?: number;
}

/** The result of applying one operation to a state. */
export interface StepResult<S> {
  /** Whether the recorded output is what the operation gives in that state. */
  ok: boolean;
  /** The state after the operation (ignored when `ok` is false). */
  state: S;
}

/**
 * A sequential specification. `step` must be pure (never mutate `state`) and
 * deterministic, and accept any state when `output` is undefined (a pending
 * call or an unrecorded output).
 */
export interface Model<S, I, O> {
  /** The state before any operation. */
  init(): S;
  /** Applies `input` to `state` and says whether `output` is what it returns. */
  step(state: S, input: I, output: O | undefined): StepResult<S>;
  /**
   * Splits a history into independent sub-histories (e.g. one per key) that
   * are checked separately; absent: the whole history is one.
   */
  partition?(history: readonly Operation<I, O>[]): Operation<I, O>[][];
  /** A hash of a state for the memo; equal states must hash alike. Default: JSON.stringify. */
  hash?(state: S): string | number;
  /** State equality for the memo. Default: equal hashes (then `hash` must be canonical). */
  equal?(a: S, b: S): boolean;
  /** One operation, for an explanation, e.g. `put x=1`. */
  describe(op: Operation<I, O>): string;
  /** One state, for an explanation. Default: JSON.stringify. */
  describeState?(state: S): string;
}

/** Options of {@link checkLinearizable}. */
export interface CheckOptions {
  /** Time budget in ms (wall clock) for the whole check; undefined: no limit. */
  timeout?: number;
}

/** Why a history is not linearizable: the deepest point the search reached. */
export interface IllegalPartial<I, O> {
  /** Index of the sub-history (in the model's `partition` order) that failed. */
  partition: number;
  /** The operations of that sub-history. */
  operations: Operation<I, O>[];
  /** The longest linearizable prefix found, in linearization order. */
  linearized: Operation<I, O>[];
  /** The model state after that prefix. */
  state: string;
  /**
   * The operation that could not be placed: it returned before any of the
   * remaining operations could be linearized consistently after the prefix.
   */
  blocked: Operation<I, O>;
  /** The above, as lines for a test's failure message. */
  explanation: string;
}

/** The outcome of {@link checkLinearizable}. */
export type CheckResult<I, O> =
  | { result: 'ok' }
  | { result: 'illegal'; partial: IllegalPartial<I, O> }
  | { result: 'unknown' };

interface Entry<I, O> {
  kind: 'call' | 'return';
  id: number;
  time: number;
  op: Operation<I, O>;
  match: Entry<I, O> | undefined; // a call's return entry
  prev: Entry<I, O> | undefined;
  next: Entry<I, O> | undefined;
}

class Bitset {
  readonly words: Uint32Array;
  constructor(size: number) {
    this.words = new Uint32Array(Math.ceil(size / 32) || 1);
  }
  set(i: number): void {
    this.words[i >>> 5]! |= 1 << (i & 31);
  }
  clear(i: number): void {
    this.words[i >>> 5]! &= ~(1 << (i & 31));
  }
  key(): string {
    return this.words.join(',');
  }
}

const TIMEOUT = Symbol('timeout');

function validate<I, O>(history: readonly Operation<I, O>[]): void {
  for (const [i, op] of history.entries()) {
    if (!Number.isFinite(op.call)) {
      throw new BadArgumentsError(`checkLinearizable: operation ${i} has call time ${op.call}`);
    }
    if (op.return !== undefined && !(Number.isFinite(op.return) && op.return >= op.call)) {
      throw new BadArgumentsError(
        `checkLinearizable: operation ${i} returns at ${op.return}, before its call at ${op.call}`,
      );
    }
  }
}

/** Builds the sorted, doubly linked event list behind a sentinel head. */
function eventList<I, O>(ops: readonly Operation<I, O>[]): Entry<I, O> {
  const events: Entry<I, O>[] = [];
  ops.forEach((op, id) => {
    const ret: Entry<I, O> = {
      kind: 'return', id, time: op.return ?? Infinity, op, match: undefined, prev: undefined, next: undefined,
    };
    events.push({ kind: 'call', id, time: op.call, op, match: ret, prev: undefined, next: undefined }, ret);
  });
  // Calls first at equal times: touching intervals are concurrent.
  events.sort((a, b) => a.time - b.time || (a.kind === b.kind ? a.id - b.id : a.kind === 'call' ? -1 : 1));
  const head: Entry<I, O> = {
    kind: 'call', id: -1, time: -Infinity, op: ops[0]!, match: undefined, prev: undefined, next: undefined,
  };
  let last = head;
  for (const e of events) {
    last.next = e;
    e.prev = last;
    last = e;
  }
  return head;
}

function lift<I, O>(call: Entry<I, O>): void {
  for (const e of [call, call.match!]) {
    e.prev!.next = e.next;
    if (e.next) e.next.prev = e.prev;
  }
}

function unlift<I, O>(call: Entry<I, O>): void {
  for (const e of [call.match!, call]) {
    e.prev!.next = e;
    if (e.next) e.next.prev = e;
  }
}

function checkOne<S, I, O>(
  model: Model<S, I, O>,
  ops: Operation<I, O>[],
  index: number,
  deadline: number,
): IllegalPartial<I, O> | undefined {
  if (ops.length === 0) return undefined;
  const hash = model.hash ?? ((s: S) => JSON.stringify(s));
  const equal = model.equal;
  const describeState = model.describeState ?? ((s: S) => JSON.stringify(s));
  const head = eventList(ops);
  const linearized = new Bitset(ops.length);
  const memo = new Map<string, S[]>();
  const calls: { entry: Entry<I, O>; state: S }[] = [];
  let state = model.init();
  let best = -1;
  let deepest: { prefix: Operation<I, O>[]; state: S; blocked: Operation<I, O> } | undefined;
  let steps = 0;

  let entry = head.next;
  while (head.next !== undefined) {
    if ((++steps & 1023) === 0 && Date.now() > deadline) throw TIMEOUT;
    if (entry!.kind === 'call') {
      const res = model.step(state, entry!.op.input, entry!.op.output);
      if (res.ok) {
        linearized.set(entry!.id);
        const key = `${linearized.key()}#${hash(res.state)}`;
        const seen = memo.get(key);
        const known = seen !== undefined && (equal === undefined || seen.some((s) => equal(s, res.state)));
        if (!known) {
          if (seen) seen.push(res.state);
          else memo.set(key, [res.state]);
          calls.push({ entry: entry!, state });
          state = res.state;
          lift(entry!);
          entry = head.next;
          continue;
        }
        linearized.clear(entry!.id);
      }
      entry = entry!.next;
      continue;
    }
    // A return: its operation had to be linearized by now. Undo the last choice.
    if (calls.length > best) {
      best = calls.length;
      deepest = { prefix: calls.map((c) => c.entry.op), state, blocked: entry!.op };
    }
    const top = calls.pop();
    if (top === undefined) break;
    state = top.state;
    linearized.clear(top.entry.id);
    unlift(top.entry);
    entry = top.entry.next;
  }
  if (head.next === undefined) return undefined;

  const d = deepest!;
  const line = (op: Operation<I, O>) =>
    `client ${String(op.client)}: ${model.describe(op)}  [call ${op.call}, ${
      op.return === undefined ? 'never returned' : `return ${op.return}`
    }]`;
  const explanation = [
    `not linearizable: sub-history ${index} (${ops.length} operations)`,
    `longest linearizable prefix (${d.prefix.length} operations):`,
    ...d.prefix.map((op, i) => `  ${i + 1}. ${line(op)}`),
    `state after it: ${describeState(d.state)}`,
    `cannot place: ${line(d.blocked)}`,
    '  (no order of the operations still open before its return is consistent with that state)',
  ].join('\n');
  return {
    partition: index,
    operations: ops,
    linearized: d.prefix,
    state: describeState(d.state),
    blocked: d.blocked,
    explanation,
  };
}

/**
 * Decides whether `history` is linearizable with respect to `model`.
 * Returns `'ok'`, `'illegal'` with an explanation of the first failing
 * sub-history, or `'unknown'` when `timeout` ran out first. Throws
 * `BadArgumentsError` for a history whose times are not finite or that
 * returns before its call.
 */
export function checkLinearizable<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  options: CheckOptions = {},
): CheckResult<I, O> {
  validate(history);
  const deadline = options.timeout === undefined ? Infinity : Date.now() + options.timeout;
  const parts = model.partition ? model.partition(history) : [[...history]];
  for (const [i, part] of parts.entries()) {
    try {
      const partial = checkOne(model, part, i, deadline);
      if (partial) return { result: 'illegal', partial };
    } catch (err) {
      if (err === TIMEOUT) return { result: 'unknown' };
      throw err;
    }
  }
  return { result: 'ok' };
}

// ---------------------------------------------------------------------------
// Models

/** A value in the key-value model; `null` is "no such key". */
export type KvValue = unknown;

/** Inputs of {@link kvModel}. */
export type KvInput =
  | { op: 'get'; key: string }
  | { op: 'put'; key: string; value: KvValue }
  | { op: 'cas'; key: string; expected: KvValue; value: KvValue }
  | { op: 'delete'; key: string };

/**
 * Outputs of {@link kvModel}: `get` the value read (`null`: absent); `put`
 * nothing (`null`); `cas` whether it swapped; `delete` whether the key
 * existed. `undefined`: unknown.
 */
export type KvOutput = KvValue | boolean | null;

/** The key-value model's state: the keys present. */
export type KvState = Readonly<Record<string, KvValue>>;

/** Options of {@link kvModel}. */
export interface KvModelOptions {
  /** The keys present before the history starts. Default: none. */
  initial?: Record<string, KvValue>;
}

const sameValue = (a: KvValue, b: KvValue) => isDeepStrictEqual(a, b);

function withKey(state: KvState, key: string, value: KvValue): KvState {
  if (value === null) {
    const { [key]: _gone, ...rest } = state;
    return rest;
  }
  return { ...state, [key]: value };
}

/**
 * A map of registers: `get`, `put`, `cas` (compare-and-set; `expected: null`
 * means "absent") and `delete` per key, values compared deeply. Partitioned
 * per key: every operation touches one key.
 */
export function kvModel(options: KvModelOptions = {}): Model<KvState, KvInput, KvOutput> {
  const initial: KvState = { ...(options.initial ?? {}) };
  return {
    init: () => initial,
    step(state, input, output) {
      const current = Object.hasOwn(state, input.key) ? state[input.key] : null;
      switch (input.op) {
        case 'get':
          return { ok: output === undefined || sameValue(output, current), state };
        case 'put':
          return { ok: true, state: withKey(state, input.key, input.value) };
        case 'cas': {
          const swapped = sameValue(current, input.expected);
          return {
            ok: output === undefined || output === swapped,
            state: swapped ? withKey(state, input.key, input.value) : state,
          };
        }
        case 'delete':
          return { ok: output === undefined || output === (current !== null), state: withKey(state, input.key, null) };
      }
    },
    partition(history) {
      const byKey = new Map<string, Operation<KvInput, KvOutput>[]>();
      for (const op of history) {
        const list = byKey.get(op.input.key);
        if (list) list.push(op);
        else byKey.set(op.input.key, [op]);
      }
      return [...byKey.values()];
    },
    hash: (state) => JSON.stringify(Object.entries(state).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    equal: (a, b) => isDeepStrictEqual(a, b),
    describe(op) {
      const { input } = op;
      const out = op.output === undefined ? '?' : JSON.stringify(op.output);
      switch (input.op) {
        case 'get':
          return `get ${input.key} -> ${out}`;
        case 'put':
          return `put ${input.key}=${JSON.stringify(input.value)}`;
        case 'cas':
          return `cas ${input.key} ${JSON.stringify(input.expected)}->${JSON.stringify(input.value)} -> ${out}`;
        case 'delete':
          return `delete ${input.key} -> ${out}`;
      }
    },
  };
}

/** Inputs of {@link bankModel}. */
export type BankInput = { op: 'transfer'; from: string; to: string; amount: number } | { op: 'read' };

/**
 * Outputs of {@link bankModel}: a transfer's `true` (applied) or `false`
 * (refused: `from` held less than `amount`); a read's balance of every
 * account. `undefined`: unknown.
 */
export type BankOutput = boolean | Readonly<Record<string, number>>;

/** The bank model's state: every account's balance. */
export type BankState = Readonly<Record<string, number>>;

/**
 * Accounts with transfers between them and reads of every balance at once.
 * A transfer of more than `from` holds is refused (output `false`) and
 * changes nothing, so the total never changes; a read must equal the
 * balances after some linearization. Not partitioned: a read spans every
 * account.
 */
export function bankModel(initial: Record<string, number>): Model<BankState, BankInput, BankOutput> {
  const accounts = Object.keys(initial).sort();
  const start: BankState = Object.fromEntries(accounts.map((a) => [a, initial[a]!]));
  const total = accounts.reduce((sum, a) => sum + start[a]!, 0);
  const sumOf = (balances: Readonly<Record<string, number>>) =>
    Object.values(balances).reduce((s, v) => s + v, 0);
  return {
    init: () => start,
    step(state, input, output) {
      if (input.op === 'read') {
        return { ok: output === undefined || isDeepStrictEqual({ ...(output as object) }, { ...state }), state };
      }
      const applies = (state[input.from] ?? 0) >= input.amount;
      if (output !== undefined && output !== applies) return { ok: false, state };
      if (!applies || input.from === input.to) return { ok: true, state };
      return {
        ok: true,
        state: {
          ...state,
          [input.from]: state[input.from]! - input.amount,
          [input.to]: (state[input.to] ?? 0) + input.amount,
        },
      };
    },
    hash: (state) => accounts.map((a) => state[a]).join(','),
    describe(op) {
      const { input } = op;
      if (input.op === 'transfer') {
        const out = op.output === undefined ? '?' : String(op.output);
        return `transfer ${input.amount} ${input.from}->${input.to} -> ${out}`;
      }
      if (op.output === undefined) return 'read -> ?';
      const read = op.output as Readonly<Record<string, number>>;
      const sum = sumOf(read);
      return `read -> ${JSON.stringify(read)}${sum === total ? '' : ` (sums to ${sum}, the total is ${total})`}`;
    },
  };
}
