/**
 * Python values in TypeScript, shared by Pyro4's serializers (serpent.ts,
 * json.ts): tuples, complex numbers, exceptions, and the post-processing
 * Pyro4 applies to decoded data (its NaN dict, base64 byte dicts).
 */
import { ProtocolError } from '../errors.js';

/** Limits on what a decoder (serpent or json) accepts. */
export interface SerpentLimits {
  /** Largest input in bytes. Default 1 MiB. */
  maxSize?: number;
  /** Deepest nesting of lists, tuples, dicts and sets. Default 64. */
  maxDepth?: number;
}

/** A Python complex number. */
export class PyComplex {
  constructor(
    /** The real part. */
    readonly real: number,
    /** The imaginary part. */
    readonly imag: number,
  ) {}
}

export const tuples = new WeakSet<readonly unknown[]>();

/** Marks `items` as a Python tuple (it encodes as `(...)`, not `[...]`) and returns it. */
export function pyTuple<T extends unknown[]>(...items: T): T {
  tuples.add(items);
  return items;
}

/** True when `value` is an array decoded from a Python tuple or marked with {@link pyTuple}. */
export function isPyTuple(value: unknown): value is unknown[] {
  return Array.isArray(value) && tuples.has(value);
}

/**
 * The dict Pyro4 sends for an exception: `{'__class__': className,
 * '__exception__': True, 'args': (message,), 'attributes': {...}}`; Python
 * raises it as that class when Pyro4 knows it (`builtins.*`,
 * `Pyro4.errors.*`), which is why a Node error is sent as one of those.
 */
export function encodeException(className: string, message: string, attributes: Record<string, unknown> = {}): Record<string, unknown> {
  return { __class__: className, __exception__: true, args: pyTuple(message), attributes };
}

/** Pyro4's own post-processing of decoded data: its NaN dict becomes NaN; base64 byte dicts become bytes. */
export function finishDecoded(v: unknown): unknown {
  if (typeof v !== 'object' || v === null || v instanceof Uint8Array || v instanceof PyComplex) return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = finishDecoded(v[i]);
    return v;
  }
  if (v instanceof Set) return new Set([...v].map(finishDecoded));
  if (v instanceof Map) {
    for (const [k, x] of v) v.set(k, finishDecoded(x));
    return v;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (o.__class__ === 'float' && o.value === 'nan' && keys.length === 2) return NaN;
  if (o.encoding === 'base64' && typeof o.data === 'string' && keys.length === 2) return Buffer.from(o.data, 'base64');
  for (const k of keys) o[k] = finishDecoded(o[k]);
  return o;
}

/** An integer as a number when it is a safe integer, else as a bigint. */
export function small(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/** The text of a serialized payload: ProtocolError when it is larger than `limits.maxSize` (default 1 MiB) or not UTF-8. */
export function payloadText(data: Uint8Array, limits: SerpentLimits, what: string): string {
  const maxSize = limits.maxSize ?? 1024 * 1024;
  if (data.byteLength > maxSize) throw new ProtocolError(`${what}: ${data.byteLength} bytes, more than the limit of ${maxSize}`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch (error) {
    throw new ProtocolError(`${what}: the data is not UTF-8`, { cause: error });
  }
}
