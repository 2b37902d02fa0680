import { readACLs, writeACLs, type ACL } from '../records/acl.js';
import { PathRequestCodec } from '../records/common.js';
import { StatCodec, type Stat } from '../records/stat.js';
import type { JuteReader } from '../reader.js';
import type { Codec, JuteWriter } from '../writer.js';
import { defineOp } from './op.js';

export interface GetACLResponse {
  acl: ACL[];
  stat: Stat;
}

export interface SetACLRequest {
  path: string;
  acl: ACL[];
  version: number;
}

export const GetACLResponseCodec: Codec<GetACLResponse> = {
  write(w: JuteWriter, v: GetACLResponse): void {
    writeACLs(w, v.acl);
    StatCodec.write(w, v.stat);
  },
  read(r: JuteReader): GetACLResponse {
    return { acl: readACLs(r), stat: StatCodec.read(r) };
  },
};

export const SetACLRequestCodec: Codec<SetACLRequest> = {
  write(w: JuteWriter, v: SetACLRequest): void {
    w.ustring(v.path);
    writeACLs(w, v.acl);
    w.int(v.version);
  },
  read(r: JuteReader): SetACLRequest {
    return { path: r.string(), acl: readACLs(r), version: r.int() };
  },
};

/** getACL (6). */
export const getACL = defineOp('getACL', PathRequestCodec, GetACLResponseCodec);
/** setACL (7): version is the expected aclVersion; answers the Stat. */
export const setACL = defineOp('setACL', SetACLRequestCodec, StatCodec);
