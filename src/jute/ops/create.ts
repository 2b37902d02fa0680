import { readACLs, writeACLs, type ACL } from '../records/acl.js';
import { StatCodec, type Stat } from '../records/stat.js';
import type { JuteReader } from '../reader.js';
import type { Codec, JuteWriter } from '../writer.js';
import { defineOp } from './op.js';

/** create (1), create2 (15) and createContainer (19) share this request. */
export interface CreateRequest {
  path: string;
  data: Buffer | null;
  acl: ACL[];
  flags: number;
}

export interface CreateResponse {
  path: string;
}

/** create2, createContainer and createTTL answer with the new node's Stat too. */
export interface Create2Response {
  path: string;
  stat: Stat;
}

export const CreateRequestCodec: Codec<CreateRequest> = {
  write(w: JuteWriter, v: CreateRequest): void {
    w.ustring(v.path).buffer(v.data);
    writeACLs(w, v.acl);
    w.int(v.flags);
  },
  read(r: JuteReader): CreateRequest {
    return { path: r.string(), data: r.buffer(), acl: readACLs(r), flags: r.int() };
  },
};

export const CreateResponseCodec: Codec<CreateResponse> = {
  write(w: JuteWriter, v: CreateResponse): void {
    w.ustring(v.path);
  },
  read(r: JuteReader): CreateResponse {
    return { path: r.string() };
  },
};

export const Create2ResponseCodec: Codec<Create2Response> = {
  write(w: JuteWriter, v: Create2Response): void {
    w.ustring(v.path);
    StatCodec.write(w, v.stat);
  },
  read(r: JuteReader): Create2Response {
    return { path: r.string(), stat: StatCodec.read(r) };
  },
};

export const create = defineOp('create', CreateRequestCodec, CreateResponseCodec);
export const create2 = defineOp('create2', CreateRequestCodec, Create2ResponseCodec);
export const createContainer = defineOp('createContainer', CreateRequestCodec, Create2ResponseCodec);
