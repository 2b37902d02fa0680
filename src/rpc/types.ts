/** The caller's types: what a served object's methods become on a proxy. */
import type { RemoteObject, RemoteRef } from './references.js';
import type { RemoteStream } from './stream.js';

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
