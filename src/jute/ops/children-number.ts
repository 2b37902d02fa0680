import { PathRequestCodec } from '../records/common.js';
import type { JuteReader } from '../reader.js';
import type { Codec, JuteWriter } from '../writer.js';
import { defineOp } from './op.js';

export interface GetAllChildrenNumberResponse {
  totalNumber: number;
}

export const GetAllChildrenNumberResponseCodec: Codec<GetAllChildrenNumberResponse> = {
  write(w: JuteWriter, v: GetAllChildrenNumberResponse): void {
    w.int(v.totalNumber);
  },
  read(r: JuteReader): GetAllChildrenNumberResponse {
    return { totalNumber: r.int() };
  },
};

/** getAllChildrenNumber (104): the number of descendants of a node. */
export const getAllChildrenNumber = defineOp(
  'getAllChildrenNumber',
  PathRequestCodec,
  GetAllChildrenNumberResponseCodec,
);
