import { JuteDecodeError } from '../decode-error.js';
import { EmptyCodec, ErrorResponseCodec } from '../records/common.js';
import type { PathVersionRequest, PathWatchRequest } from '../records/common.js';
import type { Stat } from '../records/stat.js';
import type { JuteReader } from '../reader.js';
import type { Codec, JuteWriter } from '../writer.js';
import { check } from './check.js';
import { create, create2, createContainer } from './create.js';
import type { Create2Response, CreateRequest, CreateResponse } from './create.js';
import { createTTL, type CreateTTLRequest } from './create-ttl.js';
import { del } from './delete.js';
import { getChildren, type GetChildrenResponse } from './get-children.js';
import { getData, type GetDataResponse } from './get-data.js';
import { defineOp } from './op.js';
import { setData, type SetDataRequest } from './set-data.js';

/** Precedes each op and each result inside multi; `done` marks the terminator. */
export interface MultiHeader {
  type: number;
  done: boolean;
  err: number;
}

export const MultiHeaderCodec: Codec<MultiHeader> = {
  write(w: JuteWriter, v: MultiHeader): void {
    w.int(v.type).bool(v.done).int(v.err);
  },
  read(r: JuteReader): MultiHeader {
    return { type: r.int(), done: r.bool(), err: r.int() };
  },
};

/** One op of a multi (transaction) or multiRead request. */
export type MultiOp =
  | { type: 'create' | 'create2' | 'createContainer'; request: CreateRequest }
  | { type: 'createTTL'; request: CreateTTLRequest }
  | { type: 'delete' | 'check'; request: PathVersionRequest }
  | { type: 'setData'; request: SetDataRequest }
  | { type: 'getData' | 'getChildren'; request: PathWatchRequest };

/** One result of a multi or multiRead reply, in op order. */
export type MultiResult =
  | { type: 'create'; response: CreateResponse }
  | { type: 'create2'; response: Create2Response }
  | { type: 'delete' | 'check' }
  | { type: 'setData'; response: Stat }
  | { type: 'getData'; response: GetDataResponse }
  | { type: 'getChildren'; response: GetChildrenResponse }
  | { type: 'error'; err: number };

export interface MultiRequest {
  ops: MultiOp[];
}

export interface MultiResponse {
  results: MultiResult[];
}

const TERMINATOR: MultiHeader = { type: -1, done: true, err: -1 };

/**
 * The ops a multi or multiRead may carry, from the op table: a sub-op is
 * encoded with its op's request codec. The result of each is encoded with
 * its op's response codec (createContainer and createTTL answer as
 * create2; delete and check have an empty body and no `response`).
 */
const SUB_OPS = { create, create2, createContainer, createTTL, delete: del, check, setData, getData, getChildren } as const;
type SubOp = (typeof SUB_OPS)[keyof typeof SUB_OPS];
/**
 * One op per result type of {@link MultiResult} but `error`, no more (the
 * annotation makes a missing or an extra entry a compile error), so the
 * tables keyed by result type, here and in the client, follow this one.
 */
const RESULT_OPS: { readonly [K in Exclude<MultiResult['type'], 'error'>]: SubOp } = { create, create2, delete: del, check, setData, getData, getChildren };

const subOpByCode = new Map<number, SubOp>(Object.values(SUB_OPS).map((op) => [op.code, op]));
const resultOpByCode = new Map<number, SubOp>(Object.values(RESULT_OPS).map((op) => [op.code, op]));
const hasBody = (op: SubOp): boolean => op.response !== EmptyCodec;

function writeOp(w: JuteWriter, op: MultiOp): void {
  const def = SUB_OPS[op.type];
  MultiHeaderCodec.write(w, { type: def.code, done: false, err: -1 });
  (def.request as Codec<unknown>).write(w, op.request);
}

function readOp(r: JuteReader, type: number, at: number): MultiOp {
  const def = subOpByCode.get(type);
  if (def === undefined) throw new JuteDecodeError(`op type ${type} is not allowed in multi`, at);
  return { type: def.name, request: def.request.read(r) } as MultiOp;
}

function writeResult(w: JuteWriter, res: MultiResult): void {
  if (res.type === 'error') {
    MultiHeaderCodec.write(w, { type: -1, done: false, err: res.err });
    return ErrorResponseCodec.write(w, { err: res.err });
  }
  const def = RESULT_OPS[res.type];
  MultiHeaderCodec.write(w, { type: def.code, done: false, err: 0 });
  if ('response' in res) (def.response as Codec<unknown>).write(w, res.response);
}

function readResult(r: JuteReader, h: MultiHeader, at: number): MultiResult {
  // ErrorResponse repeats the code given in the header; the body is authoritative.
  if (h.type === -1) return { type: 'error', err: ErrorResponseCodec.read(r).err };
  const def = resultOpByCode.get(h.type);
  if (def === undefined) throw new JuteDecodeError(`result type ${h.type} is not allowed in multi`, at);
  return (hasBody(def) ? { type: def.name, response: def.response.read(r) } : { type: def.name }) as MultiResult;
}

export const MultiRequestCodec: Codec<MultiRequest> = {
  write(w: JuteWriter, v: MultiRequest): void {
    for (const op of v.ops) writeOp(w, op);
    MultiHeaderCodec.write(w, TERMINATOR);
  },
  read(r: JuteReader): MultiRequest {
    const ops: MultiOp[] = [];
    for (;;) {
      const at = r.offset;
      const h = MultiHeaderCodec.read(r);
      if (h.done) return { ops };
      ops.push(readOp(r, h.type, at));
    }
  },
};

export const MultiResponseCodec: Codec<MultiResponse> = {
  write(w: JuteWriter, v: MultiResponse): void {
    for (const res of v.results) writeResult(w, res);
    MultiHeaderCodec.write(w, TERMINATOR);
  },
  read(r: JuteReader): MultiResponse {
    const results: MultiResult[] = [];
    for (;;) {
      const at = r.offset;
      const h = MultiHeaderCodec.read(r);
      if (h.done) return { results };
      results.push(readResult(r, h, at));
    }
  },
};

/** multi (14): all-or-nothing transaction of create/delete/setData/check. */
export const multi = defineOp('multi', MultiRequestCodec, MultiResponseCodec);
/** multiRead (22): independent getData/getChildren reads in one round trip. */
export const multiRead = defineOp('multiRead', MultiRequestCodec, MultiResponseCodec);
