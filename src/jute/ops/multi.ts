import { JuteDecodeError } from '../decode-error.js';
import { OpCode } from '../op-codes.js';
import { ErrorResponseCodec, PathVersionRequestCodec, PathWatchRequestCodec } from '../records/common.js';
import type { PathVersionRequest, PathWatchRequest } from '../records/common.js';
import { StatCodec, type Stat } from '../records/stat.js';
import type { JuteReader } from '../reader.js';
import type { Codec, JuteWriter } from '../writer.js';
import { Create2ResponseCodec, CreateRequestCodec, CreateResponseCodec } from './create.js';
import type { Create2Response, CreateRequest, CreateResponse } from './create.js';
import { CreateTTLRequestCodec, type CreateTTLRequest } from './create-ttl.js';
import { GetChildrenResponseCodec, type GetChildrenResponse } from './get-children.js';
import { GetDataResponseCodec, type GetDataResponse } from './get-data.js';
import { defineOp } from './op.js';
import { SetDataRequestCodec, type SetDataRequest } from './set-data.js';

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

function writeOp(w: JuteWriter, op: MultiOp): void {
  MultiHeaderCodec.write(w, { type: OpCode[op.type], done: false, err: -1 });
  switch (op.type) {
    case 'create':
    case 'create2':
    case 'createContainer':
      return CreateRequestCodec.write(w, op.request);
    case 'createTTL':
      return CreateTTLRequestCodec.write(w, op.request);
    case 'delete':
    case 'check':
      return PathVersionRequestCodec.write(w, op.request);
    case 'setData':
      return SetDataRequestCodec.write(w, op.request);
    case 'getData':
    case 'getChildren':
      return PathWatchRequestCodec.write(w, op.request);
  }
}

function readOp(r: JuteReader, type: number, at: number): MultiOp {
  switch (type) {
    case OpCode.create:
      return { type: 'create', request: CreateRequestCodec.read(r) };
    case OpCode.create2:
      return { type: 'create2', request: CreateRequestCodec.read(r) };
    case OpCode.createContainer:
      return { type: 'createContainer', request: CreateRequestCodec.read(r) };
    case OpCode.createTTL:
      return { type: 'createTTL', request: CreateTTLRequestCodec.read(r) };
    case OpCode.delete:
      return { type: 'delete', request: PathVersionRequestCodec.read(r) };
    case OpCode.check:
      return { type: 'check', request: PathVersionRequestCodec.read(r) };
    case OpCode.setData:
      return { type: 'setData', request: SetDataRequestCodec.read(r) };
    case OpCode.getData:
      return { type: 'getData', request: PathWatchRequestCodec.read(r) };
    case OpCode.getChildren:
      return { type: 'getChildren', request: PathWatchRequestCodec.read(r) };
    default:
      throw new JuteDecodeError(`op type ${type} is not allowed in multi`, at);
  }
}

function writeResult(w: JuteWriter, res: MultiResult): void {
  if (res.type === 'error') {
    MultiHeaderCodec.write(w, { type: -1, done: false, err: res.err });
    return ErrorResponseCodec.write(w, { err: res.err });
  }
  MultiHeaderCodec.write(w, { type: OpCode[res.type], done: false, err: 0 });
  switch (res.type) {
    case 'create':
      return CreateResponseCodec.write(w, res.response);
    case 'create2':
      return Create2ResponseCodec.write(w, res.response);
    case 'delete':
    case 'check':
      return;
    case 'setData':
      return StatCodec.write(w, res.response);
    case 'getData':
      return GetDataResponseCodec.write(w, res.response);
    case 'getChildren':
      return GetChildrenResponseCodec.write(w, res.response);
  }
}

function readResult(r: JuteReader, h: MultiHeader, at: number): MultiResult {
  switch (h.type) {
    case -1:
      // ErrorResponse repeats the code given in the header; the body is authoritative.
      return { type: 'error', err: ErrorResponseCodec.read(r).err };
    case OpCode.create:
      return { type: 'create', response: CreateResponseCodec.read(r) };
    case OpCode.create2:
      return { type: 'create2', response: Create2ResponseCodec.read(r) };
    case OpCode.delete:
      return { type: 'delete' };
    case OpCode.check:
      return { type: 'check' };
    case OpCode.setData:
      return { type: 'setData', response: StatCodec.read(r) };
    case OpCode.getData:
      return { type: 'getData', response: GetDataResponseCodec.read(r) };
    case OpCode.getChildren:
      return { type: 'getChildren', response: GetChildrenResponseCodec.read(r) };
    default:
      throw new JuteDecodeError(`result type ${h.type} is not allowed in multi`, at);
  }
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
