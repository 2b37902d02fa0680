import type { OpName } from '../op-codes.js';
import { OpCode } from '../op-codes.js';
import type { Codec } from '../writer.js';

/** One operation of the protocol: its code and the codecs of its request and response bodies. */
export interface Op<Req, Res> {
  readonly name: OpName;
  readonly code: number;
  readonly request: Codec<Req>;
  readonly response: Codec<Res>;
}

export function defineOp<Req, Res>(name: OpName, request: Codec<Req>, response: Codec<Res>): Op<Req, Res> {
  return { name, code: OpCode[name], request, response };
}
