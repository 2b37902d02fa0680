/**
 * A client of one storage node: what the log's writer and readers use to
 * talk to the nodes of an ensemble.
 *
 * ```ts
 * await using node = await connectLogNode('10.0.0.5:3181', { timeout: 5000 });
 * await node.addEntry({ segmentId: 7, entryId: 0, timestamp: Date.now(), lastAddConfirmed: -1, data });
 * for await (const e of node.readRange(7, { fromTime, toTime })) ...
 * ```
 *
 * One connection, many requests in flight: each request gets an id, its
 * reply is matched by that id (replies may come in any order), and
 * requests written in one tick go out as one socket write.
 *
 * Failure handling, each in one place:
 * - A reply with a status other than OK rejects with the error class of
 *   that status (NoEntryError, SegmentFencedError, ...; src/log/protocol/status.ts).
 * - Timeouts come from one periodic sweep over the pending requests
 *   (BookKeeper's monitorPendingAddOps), not a timer per request: a
 *   request unanswered for `timeout` ms rejects with TimeoutError; its
 *   late reply is dropped. A streamed read's clock restarts with each reply.
 * - The connection drops (or the node breaks the protocol, or speaks
 *   another protocol version): {@link failAll} rejects every pending
 *   request with NodeDisconnectedError (or LogProtocolError, or
 *   UnsupportedVersionError), and every later call rejects the same way. The
 *   client does not reconnect: connect again. An add pending at that
 *   moment may or may not be stored.
 *
 * Limits: a streamed read cannot be cancelled on the node; breaking out of
 * the loop drops the rest of its replies as they arrive.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { checkClientTls, CLIENT_CERT_REQUIRED, connectTls, isHandshakeFailure, NodeAuthenticationError, TLS_REQUIRED, type LogTlsOptions } from './tls.js';
import { systemClock, type Clock } from '../../base/clock.js';
import { BadArgumentsError, ClientClosedError, HerdError, TimeoutError } from '../../errors.js';
import { JuteDecodeError } from '../../jute/decode-error.js';
import { JuteReader } from '../../jute/reader.js';
import { JuteWriter } from '../../jute/writer.js';
import { BadRequestError, LogProtocolError, NodeDisconnectedError, UnsupportedVersionError } from '../errors.js';
import { DEFAULT_MAX_FRAME_SIZE, ErrorBodyCodec, PROTOCOL_VERSION, readHeader, writeFrame, type FrameHeader } from '../protocol/frame.js';
import { FrameDecoder, type FrameEvent } from '../protocol/frame-decoder.js';
import { Messages } from '../protocol/kinds.js';
import type { LogEntry } from '../protocol/messages/entry.js';
import { MAX_BATCH_ENTRIES } from '../protocol/messages/add-entries.js';
import type { FenceReply } from '../protocol/messages/fence.js';
import { expectEnd } from '../protocol/messages/fields.js';
import type { InfoReply } from '../protocol/messages/info.js';
import type { Message } from '../protocol/messages/message.js';
import type { EntryRange } from '../protocol/messages/held-entries.js';
import type { LastEntryReply } from '../protocol/messages/read-last-entry.js';
import { makeLogEntry, type EntryMaker } from '../protocol/messages/read-range.js';
import type { WaitConfirmedReply } from '../protocol/messages/wait-confirmed.js';
import { Status, errorFromStatus, type StatusContext } from '../protocol/status.js';
import { EntryQueue } from './entry-queue.js';
import type { LogNodeClient, LogNodeClientOptions, RangeRead, ReadRangeBounds } from './node-client-api.js';
import { checkEntry, checkId, checkOptional } from './request-checks.js';

export type { LogNodeClient, LogNodeClientOptions, RangeRead, ReadRangeBounds } from './node-client-api.js';

/**
 * Connects to the storage node at `address` (`host:port`, or an object;
 * an object's `tls` says whether the node serves over TLS, as its
 * registration records it) and resolves once it has answered INFO. With
 * `options.tls` the connection is TLS. Rejects with NodeDisconnectedError
 * when it cannot connect, TimeoutError after `connectTimeout`,
 * NodeAuthenticationError when TLS fails (a certificate refused either
 * way, or TLS on one side only), UnsupportedVersionError when the node
 * speaks another protocol version ({@link PROTOCOL_VERSION}),
 * BadArgumentsError for an invalid address or option.
 */
export async function connectLogNode(address: string | { host: string; port: number; tls?: boolean }, options: LogNodeClientOptions = {}): Promise<LogNodeClient> {
  const { host, port } = typeof address === 'string' ? parseAddress(address) : address;
  const tls = checkClientTls(options.tls, 'connectLogNode');
  const wantsTls = typeof address === 'string' ? undefined : address.tls;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new BadArgumentsError(`connectLogNode: port must be 1..65535, got ${port}`);
  const timeout = options.timeout ?? 30_000;
  if (!(timeout >= 0)) throw new BadArgumentsError(`connectLogNode: timeout must be at least 0, got ${timeout}`);
  const connectTimeout = options.connectTimeout ?? 10_000;
  const where = `${host}:${port}`;
  if (wantsTls === true && tls === undefined) throw new NodeAuthenticationError(`log node ${where} serves over TLS: give the \`tls\` option (its ca)`);
  if (wantsTls === false && tls !== undefined) throw new NodeAuthenticationError(`log node ${where} does not serve over TLS, and this client requires it`);
  const socket = await openSocket(host, port, connectTimeout, tls);
  const client = new NodeClient(socket, where, timeout, options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE + 2048, options.clock ?? systemClock);
  try {
    await client.hello(connectTimeout);
  } catch (error) {
    await client.close();
    if (tls === undefined && error instanceof BadRequestError && error.message.includes(TLS_REQUIRED)) {
      throw new NodeAuthenticationError(`log node ${where} serves over TLS: give the \`tls\` option (its ca)`, { cause: error });
    }
    if (tls !== undefined && error instanceof BadRequestError && error.message.includes(CLIENT_CERT_REQUIRED)) {
      throw new NodeAuthenticationError(`log node ${where}: TLS failed: ${error.message}: give the \`tls\` option's key and cert`, { cause: error });
    }
    throw error;
  }
  return client;
}

function parseAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  if (i <= 0) throw new BadArgumentsError(`connectLogNode: address must be host:port, got ${JSON.stringify(address)}`);
  const host = address.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(address.slice(i + 1)) };
}

function openSocket(host: string, port: number, timeout: number, tls: LogTlsOptions | undefined): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tls === undefined ? netConnect({ host, port }) : connectTls(host, port, tls);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new TimeoutError(`connecting to log node ${host}:${port}: timed out after ${timeout} ms`));
    }, timeout);
    socket.once(tls === undefined ? 'connect' : 'secureConnect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    });
    const onError = (error: Error): void => {
      clearTimeout(timer);
      reject(connectionError(`connecting to log node ${host}:${port}`, error, tls !== undefined));
    };
    socket.once('error', onError);
  });
}

/** What a socket error means to the caller: a TLS refusal (a configuration to fix) or a lost connection. */
function connectionError(where: string, error: Error, tls: boolean): HerdError {
  if (tls && isHandshakeFailure(error)) {
    return new NodeAuthenticationError(`${where}: TLS failed (${error.message}): check the node's certificate, the \`tls\` option's ca, and a client certificate when the node asks for one`, { cause: error });
  }
  return new NodeDisconnectedError(`${where}: ${error.message}`, { cause: error });
}

/** A request waiting for its reply (or, for a stream, its last reply). */
interface Pending {
  readonly what: string;
  /** The ids the request is about, to build the storage layer's errors from a failed reply. */
  readonly context: StatusContext;
  /** Clock time after which the sweep times it out; Infinity for none. */
  deadline: number;
  /** One reply with status OK; returns true when it was the last. */
  reply(r: JuteReader): boolean;
  fail(error: HerdError): void;
}

const MAX_REQUEST_ID = 0x7fffffff;

class NodeClient implements LogNodeClient {
  instanceId = '';
  private readonly pending = new Map<number, Pending>();
  /** Ids of requests that timed out: their late replies are dropped, not taken for protocol errors. */
  private readonly abandoned = new Set<number>();
  private readonly decoder: FrameDecoder;
  private readonly out = new JuteWriter(1024);
  private flushScheduled = false;
  private lastId = 0;
  private failure: HerdError | undefined;
  private sweepTimer: unknown;

  constructor(
    private readonly socket: Socket,
    readonly address: string,
    private readonly timeout: number,
    maxFrameSize: number,
    private readonly clock: Clock,
  ) {
    this.decoder = new FrameDecoder(maxFrameSize);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.failAll(connectionError(`log node ${address}`, error, socket instanceof TLSSocket)));
    socket.on('close', () => this.failAll(new NodeDisconnectedError(`log node ${address}: connection closed`)));
  }

  get connected(): boolean {
    return this.failure === undefined;
  }

  async hello(timeout: number): Promise<void> {
    const info = await this.call(Messages.Info, {}, 'INFO', timeout);
    if (info.protocolVersion !== PROTOCOL_VERSION) throw versionError(this.address, info.protocolVersion);
    this.instanceId = info.instanceId;
  }

  addEntry(entry: LogEntry, options: { recovery?: boolean } = {}): Promise<void> {
    const what = `ADD_ENTRY segment ${entry?.segmentId} entry ${entry?.entryId}`;
    const invalid = checkEntry(entry, what);
    if (invalid) return Promise.reject(invalid);
    return this.call(Messages.AddEntry, { ...entry, recovery: options.recovery === true }, what).then(() => undefined);
  }

  addEntries(
    batch: { segmentId: number; firstEntryId: number; lastAddConfirmed: number; entries: readonly { timestamp: number; data: Buffer }[] },
    options: { recovery?: boolean } = {},
  ): Promise<void> {
    const n = Array.isArray(batch?.entries) ? batch.entries.length : 0;
    const what = `ADD_ENTRIES segment ${batch?.segmentId} entries ${batch?.firstEntryId}..${batch?.firstEntryId + n - 1}`;
    const invalid =
      n < 1 || n > MAX_BATCH_ENTRIES
        ? new BadArgumentsError(`${what}: a batch holds 1..${MAX_BATCH_ENTRIES} entries, got ${n}`)
        : (checkId(batch.segmentId, 'segmentId', what) ??
          checkId(batch.firstEntryId, 'firstEntryId', what) ??
          checkId(batch.lastAddConfirmed, 'lastAddConfirmed', what, -1) ??
          batch.entries
            .map((e, i) => (e?.data instanceof Uint8Array ? checkId(e.timestamp, `entries[${i}].timestamp`, what) : new BadArgumentsError(`${what}: entries[${i}].data must be a Buffer`)))
            .find((e) => e !== undefined));
    if (invalid) return Promise.reject(invalid);
    const { segmentId, firstEntryId, lastAddConfirmed, entries } = batch;
    return this.call(Messages.AddEntries, { recovery: options.recovery === true, segmentId, firstEntryId, lastAddConfirmed, entries }, what).then(() => undefined);
  }

  readEntry(segmentId: number, entryId: number, options: { fence?: boolean } = {}): Promise<LogEntry> {
    const what = `READ_ENTRY segment ${segmentId} entry ${entryId}`;
    const invalid = checkId(segmentId, 'segmentId', what) ?? checkId(entryId, 'entryId', what);
    if (invalid) return Promise.reject(invalid);
    return this.call(Messages.ReadEntry, { segmentId, entryId, fence: options.fence === true }, what);
  }

  readRange(segmentId: number, bounds: ReadRangeBounds = {}): RangeRead {
    const what = `READ_RANGE segment ${segmentId}`;
    const queue = new EntryQueue();
    const invalid =
      checkId(segmentId, 'segmentId', what) ??
      checkOptional(bounds.fromEntry, 'fromEntry', what) ??
      checkOptional(bounds.toEntry, 'toEntry', what) ??
      checkOptional(bounds.fromTime, 'fromTime', what) ??
      checkOptional(bounds.toTime, 'toTime', what) ??
      (bounds.limit !== undefined && !(Number.isInteger(bounds.limit) && bounds.limit >= 0 && bounds.limit <= MAX_REQUEST_ID)
        ? new BadArgumentsError(`${what}: limit must be an integer of at least 0, got ${bounds.limit}`)
        : undefined);
    if (invalid) queue.fail(invalid);
    else {
      this.send(Messages.ReadRange, { segmentId, ...bounds }, {
        what,
        context: { segmentId },
        deadline: this.deadlineFrom(this.timeout),
        reply: (r) => {
          const { records, count, done } = Messages.ReadRange.reply.read(r);
          expectEnd(r, what);
          queue.push(records[0]!, count, done);
          return done;
        },
        fail: (error) => queue.fail(error),
      });
    }
    return Object.assign(queue.iterate(), { batches: () => queue.batches(makeLogEntry), batchesOf: <T>(make: EntryMaker<T>) => queue.batches(make) });
  }

  fence(segmentId: number): Promise<FenceReply> {
    const what = `FENCE segment ${segmentId}`;
    const invalid = checkId(segmentId, 'segmentId', what);
    return invalid ? Promise.reject(invalid) : this.call(Messages.Fence, { segmentId }, what);
  }

  readLastEntry(segmentId: number): Promise<LastEntryReply> {
    const what = `READ_LAST_ENTRY segment ${segmentId}`;
    const invalid = checkId(segmentId, 'segmentId', what);
    return invalid ? Promise.reject(invalid) : this.call(Messages.ReadLastEntry, { segmentId }, what);
  }

  waitConfirmed(segmentId: number, afterEntry: number, options: { timeout?: number } = {}): Promise<WaitConfirmedReply> {
    const what = `WAIT_CONFIRMED segment ${segmentId} after entry ${afterEntry}`;
    const wait = options.timeout ?? 10_000;
    const invalid =
      checkId(segmentId, 'segmentId', what) ??
      checkId(afterEntry, 'afterEntry', what, -1) ??
      (Number.isInteger(wait) && wait >= 0 && wait <= MAX_REQUEST_ID ? undefined : new BadArgumentsError(`${what}: timeout must be an integer number of ms, at least 0, got ${wait}`));
    if (invalid) return Promise.reject(invalid);
    return this.call(Messages.WaitConfirmed, { segmentId, afterEntry, timeout: wait }, what, this.timeout === 0 ? 0 : this.timeout + wait);
  }

  confirm(segmentId: number, lastAddConfirmed: number): Promise<void> {
    const what = `CONFIRM segment ${segmentId} up to entry ${lastAddConfirmed}`;
    const invalid = checkId(segmentId, 'segmentId', what) ?? checkId(lastAddConfirmed, 'lastAddConfirmed', what);
    return invalid ? Promise.reject(invalid) : this.call(Messages.Confirm, { segmentId, lastAddConfirmed }, what).then(() => {});
  }

  async heldEntries(segmentId: number, options: { fromEntry?: number; toEntry?: number; verify?: boolean } = {}): Promise<EntryRange[]> {
    const { fromEntry = 0, toEntry = Number.MAX_SAFE_INTEGER, verify = false } = options;
    const what = `HELD_ENTRIES segment ${segmentId} entries ${fromEntry}..${toEntry}`;
    const invalid =
      checkId(segmentId, 'segmentId', what) ??
      checkId(fromEntry, 'fromEntry', what) ??
      checkId(toEntry, 'toEntry', what, fromEntry);
    if (invalid) throw invalid;
    const ranges: EntryRange[] = [];
    for (let from = fromEntry; from !== -1; ) {
      const reply = await this.call(Messages.HeldEntries, { segmentId, fromEntry: from, toEntry, verify }, what);
      ranges.push(...reply.ranges);
      from = reply.next;
    }
    return ranges;
  }

  info(): Promise<InfoReply> {
    return this.call(Messages.Info, {}, 'INFO');
  }

  async close(): Promise<void> {
    this.failAll(new ClientClosedError(`log node client for ${this.address} is closed`));
    if (this.socket.destroyed) return;
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.destroy();
    });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---- requests ----------------------------------------------------------------------

  /** Sends a request with one reply; resolves with its body. */
  private call<Req extends StatusContext, Rep>(message: Message<Req, Rep>, body: Req, what: string, timeout = this.timeout): Promise<Rep> {
    return new Promise<Rep>((resolve, reject) => {
      this.send(message, body, {
        what,
        context: body,
        deadline: this.deadlineFrom(timeout),
        reply: (r) => {
          const value = message.reply.read(r);
          expectEnd(r, what);
          resolve(value);
          return true;
        },
        fail: reject,
      });
    });
  }

  private send<Req>(message: Message<Req, unknown>, body: Req, pending: Pending): void {
    if (this.failure !== undefined) {
      pending.fail(this.failure);
      return;
    }
    const id = this.nextId();
    this.pending.set(id, pending);
    writeFrame(this.out, message.kind, id, Status.OK, message.request, body);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(() => this.flush());
    }
    this.scheduleSweep();
  }

  private nextId(): number {
    // Skips 0 (the node's id for a frame it could not read) and ids still in use after a wrap.
    do this.lastId = this.lastId >= MAX_REQUEST_ID ? 1 : this.lastId + 1;
    while (this.pending.has(this.lastId) || this.abandoned.has(this.lastId));
    return this.lastId;
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.out.offset === 0 || this.failure !== undefined) return;
    this.socket.write(this.out.take());
  }

  private deadlineFrom(timeout: number): number {
    return timeout === 0 ? Infinity : this.clock.now() + timeout;
  }

  // ---- replies -----------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    if (this.failure !== undefined) return;
    const fault = this.decoder.push(chunk, (event) => this.onFrame(event));
    if (fault !== undefined) this.protocolError(fault);
  }

  private onFrame(event: FrameEvent): void {
    if (this.failure !== undefined) return;
    if (event.type === 'oversized') {
      this.protocolError(`a reply of ${event.length} bytes is larger than maxFrameSize ${this.decoder.maxFrameSize}`);
      return;
    }
    const r = new JuteReader(event.frame);
    let header: FrameHeader;
    try {
      header = readHeader(r);
    } catch {
      this.protocolError(`a reply of ${event.frame.length} bytes is shorter than a header`);
      return;
    }
    if (header.version !== PROTOCOL_VERSION) {
      // Another version's body cannot be read, but its header and error message can (frame.ts): say which versions differ.
      const text = header.status === Status.OK ? '' : ` (the node says: ${readMessage(r)})`;
      this.failAll(versionError(this.address, header.version, text));
      this.socket.destroy();
      return;
    }
    const pending = this.pending.get(header.requestId);
    if (pending === undefined) {
      if (this.abandoned.has(header.requestId)) {
        // The late reply of a request that timed out; a stream's replies go on until its last.
        if (header.status !== Status.OK || header.kind !== Messages.ReadRange.kind || !isStreamPart(event.frame)) this.abandoned.delete(header.requestId);
        return;
      }
      const text = header.status === Status.OK ? '' : `: ${readMessage(r)}`;
      this.protocolError(`a reply to request ${header.requestId}, which was never sent (status ${header.status}${text})`);
      return;
    }
    if (header.status !== Status.OK) {
      this.pending.delete(header.requestId);
      pending.fail(errorFromStatus(header.status, `log node ${this.address}: ${readMessage(r)}`, pending.context));
      return;
    }
    let last: boolean;
    try {
      last = pending.reply(r);
    } catch (error) {
      if (!(error instanceof JuteDecodeError || error instanceof BadRequestError)) throw error;
      this.protocolError(`${pending.what}: reply does not decode: ${error.message}`);
      return;
    }
    if (last) this.pending.delete(header.requestId);
    else pending.deadline = this.deadlineFrom(this.timeout);
  }

  private protocolError(reason: string): void {
    this.failAll(new LogProtocolError(`log node ${this.address} broke the protocol: ${reason}`));
    this.socket.destroy();
  }

  /** The one place pending requests fail at once: the connection dropped, broke the protocol, or was closed. */
  private failAll(error: HerdError): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.clock.clearTimeout(this.sweepTimer);
    const all = [...this.pending.values()];
    this.pending.clear();
    this.abandoned.clear();
    this.out.reset();
    for (const p of all) p.fail(error);
  }

  // ---- the timeout sweep -------------------------------------------------------------

  private scheduleSweep(): void {
    if (this.sweepTimer !== undefined || this.timeout === 0 || this.failure !== undefined) return;
    const every = Math.min(1000, Math.max(10, this.timeout / 10));
    this.sweepTimer = this.clock.setTimeout(() => {
      this.sweepTimer = undefined;
      this.sweep();
      if (this.pending.size > 0) this.scheduleSweep();
    }, every);
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const [id, p] of this.pending) {
      if (p.deadline > now) continue;
      this.pending.delete(id);
      this.abandoned.add(id);
      p.fail(new TimeoutError(`${p.what} on log node ${this.address}: no reply within ${this.timeout} ms`));
    }
  }
}

/** True when an OK READ_RANGE reply (header already read) is not the stream's last: its final byte is `done`. */
function isStreamPart(frame: Buffer): boolean {
  return frame.length > 0 && frame[frame.length - 1] === 0;
}

/** A node that speaks another protocol version: the two refuse each other. */
function versionError(address: string, version: number, detail = ''): UnsupportedVersionError {
  return new UnsupportedVersionError(
    `log node ${address} speaks protocol version ${version}, this client speaks ${PROTOCOL_VERSION}${detail}: run the same version of herd-zk on the nodes and their clients`,
  );
}

function readMessage(r: JuteReader): string {
  try {
    return ErrorBodyCodec.read(r);
  } catch {
    return '(unreadable message)';
  }
}
