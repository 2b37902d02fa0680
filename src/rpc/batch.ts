/**
 * Batches: several calls to one served object sent in one frame (BATCH),
 * each answered and settled on its own.
 */
import { Deadline } from '../base/wait.js';
import { BadArgumentsError, InvalidStateError } from '../errors.js';
import { MAX_TIMEOUT } from './connection.js';
import { DEFAULT_CALL_TIMEOUT, bindingOf, type Remote } from './lookup.js';
import { streamable } from './stream.js';
import type { RemoteMethods } from './types.js';

/** Options of {@link batch}. */
export interface BatchOptions {
  /** The deadline of every call in the batch, in ms. Default the proxy's `callTimeout`. */
  timeout?: number;
  /** Cancels the calls not yet answered: each rejects with CancelledError. */
  signal?: AbortSignal;
}

/**
 * Records the calls `build` makes on its argument (a recorder with the
 * proxy's methods), sends them in one frame to the proxy's instance, and
 * resolves with one settled result per call, in call order, once all are
 * answered. Each recorded call also returns its own promise, for typed
 * results:
 *
 * ```ts
 * const [name, disabled] = await batch(md, (b) => { b.clusterName(); b.amIDisabled('node03'); });
 * if (name.status === 'fulfilled') console.log(name.value);
 * // typed: let n!: Promise<string>; await batch(md, (b) => { n = b.clusterName(); }); await n;
 * ```
 *
 * A call's failure (its remote error, TimeoutError at the deadline,
 * RpcConnectionError when the connection is lost) is its own `rejected`
 * entry; the batch itself rejects only with BadArgumentsError (not a
 * proxy, `build` is not a function or throws), InvalidStateError (the
 * proxy is closed) or, when no instance can be reached before the
 * deadline, TimeoutError / CancelledError.
 */
export async function batch<T>(remote: Remote<T>, build: (b: RemoteMethods<T>) => void, options: BatchOptions = {}): Promise<PromiseSettledResult<unknown>[]> {
  const binding = bindingOf(remote);
  if (!binding) throw new BadArgumentsError('batch: not a proxy from lookup()');
  if (typeof build !== 'function') throw new BadArgumentsError('batch: build must be a function');
  if (options.timeout !== undefined && !(options.timeout > 0)) throw new BadArgumentsError('batch: timeout must be > 0 ms');
  const name = binding.view.name;
  if (binding.closed) throw new InvalidStateError(`batch ${name}: the proxy is closed`);
  const recorded: { method: string; args: unknown[]; resolve(v: unknown): void; reject(e: unknown): void }[] = [];
  const recorder = new Proxy(Object.create(null) as object, {
    get(_target, method) {
      if (typeof method !== 'string' || method === 'then') return undefined;
      return (...args: unknown[]) => {
        const p = new Promise<unknown>((resolve, reject) => recorded.push({ method, args, resolve, reject }));
        // The batch's result reports every outcome: a recorded call nobody awaits is not an unhandled rejection.
        p.catch(() => undefined);
        return streamable(p, `${name}.${method}`);
      };
    },
  }) as RemoteMethods<T>;
  build(recorder);
  if (recorded.length === 0) return [];
  const timeout = Math.min(options.timeout ?? binding.options.callTimeout ?? DEFAULT_CALL_TIMEOUT, MAX_TIMEOUT);
  const deadline = new Deadline(binding.view.client.clock, timeout);
  const { conn } = await binding.connected(deadline, options.signal, `${name} (batch)`);
  const replies = conn.batch(
    recorded.map((r) => ({ target: name, method: r.method, args: r.args })),
    { timeout: Math.max(1, deadline.remaining() ?? timeout), signal: options.signal, holder: binding.view.client },
  );
  replies.forEach((p, i) => p.then(recorded[i]!.resolve, recorded[i]!.reject));
  return Promise.allSettled(replies);
}
