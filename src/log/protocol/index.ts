/**
 * The storage-node wire protocol: framing (./frame.ts documents the
 * header), the stream decoder, status codes and their errors, and one file
 * per message kind. Bytes only: no sockets, no timers.
 */
export { DEFAULT_MAX_FRAME_SIZE, ErrorBodyCodec, HEADER_SIZE, LENGTH_PREFIX_SIZE, NO_REQUEST_ID, PROTOCOL_VERSION, encodeFrame, readHeader, writeFrame } from './frame.js';
export type { FrameHeader } from './frame.js';
export { FrameDecoder } from './frame-decoder.js';
export type { FrameEvent } from './frame-decoder.js';
export { Status, errorFromStatus, statusName, statusOfError } from './status.js';
export type { StatusName } from './status.js';
export { Messages, kindName, messageOfKind } from './kinds.js';
export type { AnyMessage } from './kinds.js';
export type { Message } from './messages/message.js';
export { LogEntryCodec } from './messages/entry.js';
export type { LogEntry } from './messages/entry.js';
export type { AddEntryRequest, AddEntryReply } from './messages/add-entry.js';
export { MAX_BATCH_ENTRIES } from './messages/add-entries.js';
export type { AddEntriesRequest, AddEntriesReply, BatchEntry } from './messages/add-entries.js';
export type { ReadEntryRequest } from './messages/read-entry.js';
export type { ReadRangeRequest, ReadRangeReply } from './messages/read-range.js';
export type { SegmentRequest, FenceReply } from './messages/fence.js';
export type { LastEntryReply } from './messages/read-last-entry.js';
export type { InfoReply } from './messages/info.js';
export type { ConfirmRequest } from './messages/confirm.js';
export { MAX_HELD_RANGES } from './messages/held-entries.js';
export type { EntryRange, HeldEntriesRequest, HeldEntriesReply } from './messages/held-entries.js';
export { expectEnd } from './messages/fields.js';
