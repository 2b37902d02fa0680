/** The caller's types: what a served object's methods become on a proxy; the marker of an object returned by reference. */
import type { RemoteStream } from './stream.js';

/**
 * What `remote(object, ...)` returns: a served method returning it gives
 * its caller a reference (a proxy) to `object` instead of a copy. Opaque.
 */
export interface RemoteObject<T extends object> {
  /** Type only (absent at run time): the object lent, for the caller's {@link RemoteRef} type. */
  readonly '~remoteObject': T;
}

/**
 * The caller's proxy to an object the server returned with `remote()`:
 * its exposed methods, each returning a Promise (or a stream). Release it
 * with `await using`, `ref[Symbol.asyncDispose]()` or `releaseRemote()`;
 * a call after the release rejects with InvalidStateError.
 */
export type RemoteRef<T> = RemoteMethods<T> & AsyncDisposable;

/**
 * What a call returns on the caller's side for a method returning `R`:
 * a Promise of its awaited value; a method returning an async iterable is
 * also iterated directly (`for await (const x of remote.changes())`); one
 * returning {@link RemoteObject} gives a {@link RemoteRef}.
 */
export type RemoteResult<R> =
  Awaited<R> extends RemoteObject<infer O>
    ? Promise<RemoteRef<O>>
    : Awaited<R> extends AsyncIterable<infer X>
      ? Promise<RemoteStream<X>> & AsyncIterable<X>
      : Promise<Awaited<R>>;

/**
 * Each method of `T` (string keys, not `then`: a proxy is not a thenable),
 * taking the same arguments and returning {@link RemoteResult}.
 */
export type RemoteMethods<T> = {
  readonly [K in keyof T as K extends 'then' ? never : K extends string ? (T[K] extends (...args: never[]) => unknown ? K : never) : never]: T[K] extends (
    ...args: infer A
  ) => infer R
    ? (...args: A) => RemoteResult<R>
    : never;
};
