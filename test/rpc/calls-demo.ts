/** The object the rpc call-semantics tests serve (streams, callbacks, references), in a child process (calls-child.ts) or in the test. */
import { setTimeout as delay } from 'node:timers/promises';
import { callContext, remote, type RemoteObject, type Served } from '../../src/rpc/index.js';
import { QuotaError } from './demo.js';

export const CALLS_METHODS = [
  'count',
  'waiting',
  'failing',
  'streamState',
  'callMeBack',
  'callLastAgain',
  'subscribe',
  'open',
  'heldReferences',
  'sum',
  'add',
  'echo',
] as const;

/** A counter lent by reference. */
export class Counter {
  private n = 0;
  constructor(readonly label: string) {}
  inc(): number {
    return ++this.n;
  }
  name(): string {
    return this.label;
  }
}

/** A subscription holding the subscriber's callback as long as the reference lives. */
export class Subscription {
  constructor(private readonly callback: (x: number) => Promise<number>) {}
  fire(x: number): Promise<number> {
    return this.callback(x);
  }
}

export class Calls {
  /** Items the stream generators have yielded, and their finally blocks run (with the signal's state then). */
  private state = { produced: 0, finallyRuns: 0, abortedInFinally: 0 };
  private lastCallback: ((x: number) => Promise<number>) | undefined;
  served: Served | undefined;

  /** Counts from 0, for ever (or to `limit`): only flow control keeps it from running ahead. */
  async *count(limit = Infinity): AsyncGenerator<number> {
    try {
      for (let i = 0; i < limit; i++) {
        this.state.produced++;
        yield i;
      }
    } finally {
      this.state.finallyRuns++;
      if (callContext()?.signal.aborted) this.state.abortedInFinally++;
    }
  }
  /** Yields once, then waits a minute unless its call's signal aborts. */
  async *waiting(): AsyncGenerator<string> {
    try {
      yield 'first';
      await delay(60000, undefined, { signal: callContext()!.signal });
      yield 'never';
    } finally {
      this.state.finallyRuns++;
      if (callContext()?.signal.aborted) this.state.abortedInFinally++;
    }
  }
  async *failing(items: number): AsyncGenerator<number> {
    for (let i = 0; i < items; i++) yield i;
    throw new QuotaError('stream broke', 'QUOTA');
  }
  streamState(): { produced: number; finallyRuns: number; abortedInFinally: number } {
    return { ...this.state };
  }
  resetStreamState(): void {
    this.state = { produced: 0, finallyRuns: 0, abortedInFinally: 0 };
  }
  /** Calls the caller back `times` times during this call, and keeps the callback. */
  async callMeBack(callback: (x: number) => Promise<number>, times: number): Promise<number[]> {
    this.lastCallback = callback;
    const out: number[] = [];
    for (let i = 0; i < times; i++) out.push(await callback(i));
    return out;
  }
  /** Calls the callback of the last callMeBack again, after its call ended. */
  callLastAgain(x: number): Promise<number> {
    return this.lastCallback!(x);
  }
  subscribe(callback: (x: number) => Promise<number>): RemoteObject<Subscription> {
    return remote(new Subscription(callback), { expose: ['fire'] });
  }
  open(label: string): RemoteObject<Counter> {
    return remote(new Counter(label), { expose: ['inc', 'name'] });
  }
  heldReferences(): number {
    return this.served?.references ?? -1;
  }
  async sum(values: AsyncIterable<number>): Promise<number> {
    let total = 0;
    for await (const v of values) total += v;
    return total;
  }
  add(a: number, b: number): number {
    return a + b;
  }
  echo<V>(value: V): V {
    return value;
  }
}
