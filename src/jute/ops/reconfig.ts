import type { JuteReader } from '../reader.js';
import type { Codec, JuteWriter } from '../writer.js';
import { GetDataResponseCodec } from './get-data.js';
import { defineOp } from './op.js';

export interface ReconfigRequest {
  joiningServers: string | null;
  leavingServers: string | null;
  newMembers: string | null;
  curConfigId: bigint;
}

export const ReconfigRequestCodec: Codec<ReconfigRequest> = {
  write(w: JuteWriter, v: ReconfigRequest): void {
    w.ustring(v.joiningServers).ustring(v.leavingServers).ustring(v.newMembers).long(v.curConfigId);
  },
  read(r: JuteReader): ReconfigRequest {
    return { joiningServers: r.ustring(), leavingServers: r.ustring(), newMembers: r.ustring(), curConfigId: r.long() };
  },
};

/** reconfig (16): ensemble membership change; answers the new config as getData would. */
export const reconfig = defineOp('reconfig', ReconfigRequestCodec, GetDataResponseCodec);
