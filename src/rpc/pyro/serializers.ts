/**
 * The serializers Herd speaks, chosen per message by the header's
 * serializer id as Pyro4 does (a reply uses its request's): serpent (1,
 * Pyro4's default) and json (2). marshal (3) and msgpack (6) are not
 * spoken; pickle (4), dill (5) and cloudpickle (7) never are, since they run
 * code when they load data.
 */
import { decodeJson, encodeJson } from './json.js';
import { SERIALIZER_IDS } from './message.js';
import { decodeSerpent, encodeSerpent } from './serpent.js';
import { pyTuple, type SerpentLimits } from './values.js';

/** The serializers a Herd proxy may choose (`Pyro4.config.SERIALIZER`'s names). */
export type PyroSerializerName = 'serpent' | 'json';

/** One serializer: values both ways, and the shape of a call in it. */
export interface PyroSerializer {
  readonly id: number;
  readonly name: PyroSerializerName;
  encode(value: unknown, maxDepth?: number): Buffer;
  decode(data: Uint8Array, limits?: SerpentLimits): unknown;
  /** The value a call is sent as: serpent's `(object, method, vargs, kwargs)` tuple, json's `{object, method, params, kwargs}`. */
  call(objectId: string, method: string, args: unknown[], kwargs: Record<string, unknown>): unknown;
  /** A decoded call back as `[object, method, vargs, kwargs]`, unchecked; undefined when it has not the call's shape. */
  callParts(value: unknown): [unknown, unknown, unknown, unknown] | undefined;
}

const serpent: PyroSerializer = {
  id: SERIALIZER_IDS.serpent,
  name: 'serpent',
  encode: encodeSerpent,
  decode: decodeSerpent,
  call: (objectId, method, args, kwargs) => pyTuple(objectId, method, pyTuple(...args), kwargs),
  callParts: (v) => (Array.isArray(v) && v.length === 4 ? (v as [unknown, unknown, unknown, unknown]) : undefined),
};

const json: PyroSerializer = {
  id: SERIALIZER_IDS.json,
  name: 'json',
  encode: encodeJson,
  decode: decodeJson,
  call: (objectId, method, args, kwargs) => ({ object: objectId, method, params: args, kwargs }),
  callParts: (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    const o = v as Record<string, unknown>;
    return [o.object, o.method, o.params, o.kwargs];
  },
};

/** The serializer of `name`. */
export function serializerNamed(name: PyroSerializerName): PyroSerializer {
  return name === 'json' ? json : serpent;
}

/** The serializer of id `id`, or undefined when Herd does not speak it. */
export function serializerOf(id: number): PyroSerializer | undefined {
  return id === serpent.id ? serpent : id === json.id ? json : undefined;
}

/** Why a serializer id is refused, said so that the Python user knows what to change. */
export function serializerRefusal(id: number): string {
  const name = Object.entries(SERIALIZER_IDS).find(([, v]) => v === id)?.[0] ?? `#${id}`;
  const why = name === 'pickle' || name === 'dill' || name === 'cloudpickle' ? ` (${name} runs code when it loads data: never accepted)` : '';
  return `message used serializer that is not accepted: ${id} ${name}${why}; Herd speaks serpent and json (Pyro4.config.SERIALIZER = 'serpent')`;
}
