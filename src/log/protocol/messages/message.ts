/**
 * What every message file exports: its kind number, its name, and the
 * codecs of its request and reply bodies (./kinds.ts collects them).
 */
import type { Codec } from '../../../jute/writer.js';

export interface Message<Req, Rep> {
  /** The header's `kind`. */
  readonly kind: number;
  /** The kind's name, for messages and logs (`ADD_ENTRY`). */
  readonly name: string;
  readonly request: Codec<Req>;
  readonly reply: Codec<Rep>;
  /** True when one request gets several replies, the last marked done (READ_RANGE). */
  readonly streamed: boolean;
}

/** The codec of an empty body. */
export const EmptyCodec: Codec<Record<string, never>> = {
  write() {},
  read: () => ({}),
};
