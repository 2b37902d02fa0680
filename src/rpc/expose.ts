/**
 * Exposure, deny by default: which methods of a served object a peer may
 * call, and the object each call runs on.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { BadArgumentsError } from '../errors.js';
import { NotExposedError } from './errors.js';
import { isAsyncIterable } from './stream.js';

/** What a serving method can learn about the call it is running. */
export interface CallContext {
  /** Aborts when the caller's deadline passes, the caller cancels, or its connection is lost. */
  readonly signal: AbortSignal;
  /** The caller's deadline, epoch ms (`Infinity` for a oneway call). */
  readonly deadlineAt: number;
}

const context = new AsyncLocalStorage<CallContext>();

/**
 * The context of the remote call being served, inside a served method
 * (and whatever it awaits); undefined outside one. The method's deadline
 * and cancellation arrive as `callContext()!.signal`:
 *
 * ```ts
 * async slow() { await setTimeout(60000, undefined, { signal: callContext()?.signal }); }
 * ```
 */
export function callContext(): CallContext | undefined {
  return context.getStore();
}

/** Names never callable, whatever `expose` says. */
const FORBIDDEN = new Set([...Object.getOwnPropertyNames(Object.prototype), 'constructor', 'then']);

/** Why `name` can never be exposed, or undefined when it can. */
function forbiddenReason(name: string): string | undefined {
  if (name.length === 0) return 'an empty name';
  if (name.startsWith('_')) return 'a _-prefixed name';
  if (FORBIDDEN.has(name)) return `a name of Object.prototype (or a thenable's 'then')`;
  return undefined;
}

/** The methods one served object (or every instance a factory makes) exposes, checked once at `serve` or `remote`. */
export class Exposure {
  readonly methods: readonly string[];
  /** A hash of the sorted method names: instances serving the same interface share it. */
  readonly interfaceHash: string;
  private readonly allowed: ReadonlySet<string>;

  /**
   * Throws BadArgumentsError when a name is forbidden or, given `object`,
   * is not a function of it (an instance made later by a factory is checked
   * at each call instead).
   */
  constructor(expose: readonly string[], object: object | undefined, what = 'serve') {
    if (!Array.isArray(expose) || expose.length === 0) throw new BadArgumentsError(`${what}: \`expose\` must list at least one method`);
    for (const name of expose) {
      if (typeof name !== 'string') throw new BadArgumentsError(`${what}: expose: ${String(name)} is not a method name`);
      const why = forbiddenReason(name);
      if (why !== undefined) throw new BadArgumentsError(`${what}: cannot expose '${name}': ${why}`);
      if (object !== undefined && typeof (object as Record<string, unknown>)[name] !== 'function') {
        throw new BadArgumentsError(`${what}: '${name}' is not a method of the object`);
      }
    }
    this.methods = [...new Set(expose)].sort();
    this.allowed = new Set(this.methods);
    this.interfaceHash = createHash('sha256').update(this.methods.join('\n')).digest('hex').slice(0, 16);
  }

  /**
   * Runs an exposed method of `object` with the call's context; rejects with
   * NotExposedError for any other name. An async iterable it returns runs
   * its steps in the same context (a generator's body sees `callContext()`).
   */
  async invoke(object: object, target: string, method: string, args: unknown[], ctx: CallContext): Promise<unknown> {
    const fn = (object as Record<string, unknown>)[method];
    if (!this.allowed.has(method) || typeof fn !== 'function') throw new NotExposedError(`${target}: method '${method}' is not exposed`);
    const value = await context.run(ctx, () => fn.apply(object, args));
    return isAsyncIterable(value) ? inContext(value, ctx) : value;
  }
}

/** `source` whose next/return/throw run inside `ctx`. */
function inContext(source: AsyncIterable<unknown>, ctx: CallContext): AsyncIterable<unknown> {
  return {
    [Symbol.asyncIterator]() {
      const it = context.run(ctx, () => source[Symbol.asyncIterator]());
      return {
        next: () => context.run(ctx, () => it.next()),
        return: async (v?: unknown) => (it.return ? context.run(ctx, () => it.return!(v)) : { value: v, done: true }),
      };
    },
  };
}
