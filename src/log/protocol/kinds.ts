/**
 * The one table of message kinds: kind number -> its message (name, request
 * and reply codecs). Nothing else switches on kind numbers; the node's
 * handlers (src/log/node/handlers.ts) are a table keyed the same way.
 */
import { AddEntries } from './messages/add-entries.js';
import { AddEntry } from './messages/add-entry.js';
import { Confirm } from './messages/confirm.js';
import { Fence } from './messages/fence.js';
import { HeldEntries } from './messages/held-entries.js';
import { Info } from './messages/info.js';
import type { Message } from './messages/message.js';
import { ReadEntry } from './messages/read-entry.js';
import { ReadLastEntry } from './messages/read-last-entry.js';
import { ReadRange } from './messages/read-range.js';
import { WaitConfirmed } from './messages/wait-confirmed.js';

/** Every message kind, by name. */
export const Messages = { AddEntry, ReadEntry, ReadRange, Fence, ReadLastEntry, Info, WaitConfirmed, AddEntries, Confirm, HeldEntries } as const;

/** Any message of the table. */
export type AnyMessage = (typeof Messages)[keyof typeof Messages];

const BY_KIND: ReadonlyMap<number, Message<unknown, unknown>> = new Map(
  Object.values(Messages).map((m) => [m.kind, m as unknown as Message<unknown, unknown>]),
);

/** The message of a kind number, or undefined for a kind this version does not know. */
export function messageOfKind(kind: number): Message<unknown, unknown> | undefined {
  return BY_KIND.get(kind);
}

/** The name of a kind number (`KIND_<n>` when unknown), for messages. */
export function kindName(kind: number): string {
  return BY_KIND.get(kind)?.name ?? `KIND_${kind}`;
}
