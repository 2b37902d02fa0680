/**
 * Counter: a shared number changed atomically by compare-and-set on the
 * node's version, compatible with Kazoo's `Counter` (and, with
 * `curator: true`, with Curator's SharedCount).
 *
 * Usage:
 * ```ts
 * const counter = new Counter(client, '/app/hits');
 * await counter.add(2);          // { pre: 0, post: 2 }
 * await counter.subtract(1);
 * await counter.value();         // 1
 * const f = new Counter(client, '/app/load', { default: 1.0, type: 'float' });
 * ```
 *
 * Node layout (as Kazoo):
 * - `<path>`: persistent, created (with ancestors) when missing, empty.
 * - Data: the value as ASCII text (Python's `repr`: `42`, `2.5`, `3.0` for
 *   floats); empty data means the default. With `curator: true`: a 4-byte
 *   big-endian signed int, integers only.
 *
 * Failure handling: each change reads the value and its version, then
 * writes with that version; BadVersion (a concurrent change) retries from
 * the read. After a connection loss during the write (outcome unknown) it
 * re-reads: at version + 1 with exactly our value, the write is taken as
 * applied; otherwise it retries from the fresh read. So a change is never
 * applied twice.
 *
 * Limits: integers beyond 2^53 lose precision (JavaScript numbers). The
 * connection-loss check cannot tell our write from another client's that
 * wrote the same value at the same version (then ours is dropped). Floats
 * of 1e16 and more are written in plain digits where Python uses an
 * exponent; both parse the other's form.
 */
import type { Client } from '../client/index.js';
import { isTransientError } from '../client/retry.js';
import { BadArgumentsError, BadVersionError } from '../errors.js';
import { UnexpectedDataError } from './errors.js';
import { ensurePath, retryWhileConnected } from './internal/index.js';

/** Options of {@link Counter}. */
export interface CounterOptions {
  /** The value of an empty node. Default 0. */
  default?: number;
  /** `int` (default) or `float`: how the value is written (`3` vs `3.0`) and parsed. */
  type?: 'int' | 'float';
  /** Curator's SharedCount format (4-byte big-endian int). Default false. */
  curator?: boolean;
}

/** What a change of a {@link Counter} did. */
export interface CounterChange {
  /** The value before our change. */
  pre: number;
  /** The value our change wrote. */
  post: number;
}

/** A shared number changed atomically (Kazoo's `Counter`): see the module comment. */
export class Counter {
  /** The value of an empty node. */
  readonly default: number;
  /** How the value is written and parsed. */
  readonly type: 'int' | 'float';
  /** Curator's SharedCount format. */
  readonly curator: boolean;
  private ensured = false;

  /** No I/O. Throws BadArgumentsError for the Curator format with floats. */
  constructor(
    /** The client the counter works through. */
    readonly client: Client,
    /** The counter's node. */
    readonly path: string,
    options: CounterOptions = {},
  ) {
    this.default = options.default ?? 0;
    this.type = options.type ?? (Number.isInteger(this.default) ? 'int' : 'float');
    this.curator = options.curator ?? false;
    if (this.curator && this.type !== 'int') throw new BadArgumentsError(`counter ${path}: the curator format holds integers only`);
  }

  /** The current value. Rejects with UnexpectedDataError when the node holds something else than a number. */
  async value(): Promise<number> {
    return (await this.read()).value;
  }

  /** Adds `delta` atomically. Rejects with BadArgumentsError for a delta that is not a finite number (an integer for an `int` counter). */
  add(delta: number): Promise<CounterChange> {
    return this.change(delta);
  }

  /** Subtracts `delta` atomically. Rejects as {@link add}. */
  subtract(delta: number): Promise<CounterChange> {
    return this.change(-delta);
  }

  private async change(delta: number): Promise<CounterChange> {
    if (typeof delta !== 'number' || !Number.isFinite(delta)) throw new BadArgumentsError(`counter ${this.path}: invalid value for a change: ${String(delta)}`);
    if (this.type === 'int' && !Number.isInteger(delta)) throw new BadArgumentsError(`counter ${this.path}: the counter holds integers, not ${delta}`);
    for (;;) {
      const { value: pre, version } = await this.read();
      const post = pre + delta;
      try {
        await this.client.setData(this.path, this.encode(post), version);
        return { pre, post };
      } catch (error) {
        if (error instanceof BadVersionError) continue;
        if (!isTransientError(error)) throw error;
        // Unknown outcome: if the node is at version+1 with our value, our write was applied.
        const now = await this.read();
        if (now.version === version + 1 && now.value === post) return { pre, post };
      }
    }
  }

  private async read(): Promise<{ value: number; version: number }> {
    if (!this.ensured) {
      await ensurePath(this.client, this.path);
      this.ensured = true;
    }
    const { data, stat } = await retryWhileConnected(this.client, () => this.client.getData(this.path));
    return { value: this.decode(data), version: stat.version };
  }

  private decode(data: Buffer | null): number {
    if (data === null || data.length === 0) return this.default;
    if (this.curator) {
      if (data.length !== 4) throw new UnexpectedDataError(`counter ${this.path}: expected 4 bytes, got ${data.length}`);
      return data.readInt32BE(0);
    }
    const text = data.toString('ascii').trim();
    const value = Number(text);
    if (text === '' || Number.isNaN(value)) throw new UnexpectedDataError(`counter ${this.path}: not a number: ${JSON.stringify(text)}`);
    if (this.type === 'int' && !Number.isInteger(value)) throw new UnexpectedDataError(`counter ${this.path}: not an int: ${text}`);
    return value;
  }

  /** Python's `repr` for the number types Kazoo stores. */
  private encode(value: number): Buffer {
    if (this.curator) {
      const b = Buffer.alloc(4);
      b.writeInt32BE(value, 0);
      return b;
    }
    if (this.type === 'int') return Buffer.from(String(Math.trunc(value)), 'ascii');
    return Buffer.from(pyFloatRepr(value), 'ascii');
  }
}

/** Python's repr of a float: `3.0` not `3`, `1.5e-07`, `inf`/`nan`. */
export function pyFloatRepr(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return v.toFixed(1);
  return String(v).replace(/e([+-])(\d)$/, (_m, sign: string, digit: string) => `e${sign}0${digit}`);
}
