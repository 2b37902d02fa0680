import { readACLs, writeACLs, type ACL } from '../records/acl.js';
import type { JuteReader } from '../reader.js';
import type { Codec, JuteWriter } from '../writer.js';
import { Create2ResponseCodec } from './create.js';
import { defineOp } from './op.js';

/** createTTL (21): a create with a time-to-live in milliseconds. */
export interface CreateTTLRequest {
  path: string;
  data: Buffer | null;
  acl: ACL[];
  flags: number;
  ttl: number;
}

export const CreateTTLRequestCodec: Codec<CreateTTLRequest> = {
  write(w: JuteWriter, v: CreateTTLRequest): void {
    w.ustring(v.path).buffer(v.data);
    writeACLs(w, v.acl);
    w.int(v.flags).longNumber(v.ttl);
  },
  read(r: JuteReader): CreateTTLRequest {
    return { path: r.string(), data: r.buffer(), acl: readACLs(r), flags: r.int(), ttl: r.longNumber() };
  },
};

export const createTTL = defineOp('createTTL', CreateTTLRequestCodec, Create2ResponseCodec);
