/**
 * Names the recipes give their nodes and participants, as Kazoo and
 * Curator do, so their processes read ours alike.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/** 32 lowercase hex digits, as Python's `uuid.uuid4().hex` (Kazoo's node prefixes). */
export function uuidHex(): string {
  return randomUUID().replace(/-/g, '');
}

/** Curator's protection prefix: `_c_<dashed uuid>-`, fresh per call. */
export function protectedPrefix(): string {
  return `_c_${randomUUID()}-`;
}

/** The default identifier of a participant (docs/conventions.md, section 4): `<hostname>-<pid>`, as Kazoo's. */
export function defaultIdentifier(): string {
  return `${hostname()}-${process.pid}`;
}

/** Decodes node data as Kazoo does (`data.decode('utf-8')`), null as ''. */
export function decodeText(data: Buffer | null): string {
  return data === null ? '' : data.toString('utf8');
}
