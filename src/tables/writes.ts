/**
 * The write path of a tables node: a transaction runs against this node's
 * copy, its entry goes to the primary (this node, or another over rpc),
 * the primary appends it to the log through its tenure's writer, and the
 * caller waits until this node has applied it. Also the other calls that
 * must reach the primary (the committed tail of a linearizable read) and
 * the rpc objects of the other members.
 *
 * An entry is applied at most once, and its caller learns the real outcome
 * even when the primary it went to is lost (docs/tables.md, "Failover"):
 * every entry carries its transaction's id; when a forward is cut, this
 * node asks the (new) primary for its committed tail, which covers all the
 * lost primary could have written, applies up to it and looks for the id
 * among its own applied outcomes (`core.pending`). Found: that is the
 * outcome. Absent: the entry is sent again, and the primary returns the
 * earlier position of an id it already has (its recent ids and the batch
 * in flight), so a resend never applies twice. Only a node that loaded a
 * snapshot over that part of the log cannot tell: OutcomeUnknownError.
 */
import { Deadline, sleep, throwIfAborted, timeoutError } from '../base/wait.js';
import type { PrimaryChange } from '../cluster/index.js';
import { closeRemote, lookup, RpcConnectionError, withCallOptions, type Remote } from '../rpc/index.js';
import type { NodeCore } from './core.js';
import { applyEntries } from './applying.js';
import { BadArgumentsError, HerdError, InvalidStateError, NotPrimaryError, OutcomeUnknownError, QuorumLostError, TransactionConflictError } from './errors.js';
import { rejectionError, type QuorumInfo, type TablesService } from './node-types.js';
import type { TransactionOptions, TransactionResult } from './options.js';
import { PrimaryWriter, type LogEntry } from './primary.js';
import type { ApplyResult } from './state/apply.js';
import { encodeEntry } from './state/codec.js';
import { validateSchema } from './state/definitions.js';
import { comparePosition, type Position } from './state/store.js';
import { RecordingTransaction, type Transaction } from './transaction.js';

/** How long a member's rpc object is looked up, ms. */
const LOOKUP_TIMEOUT = 10_000;
/** How often a call waiting for a primary looks again, ms. */
const PRIMARY_POLL = 25;
/** How many times a transaction's entry is sent again after its primary was lost (each time only once it is known to be absent). */
const MAX_SENDS = 4;
/** How long the primary waits to have applied its own tail before it looks a resent id up, ms. */
const DEDUPE_WAIT = 10_000;

/** A forward cut short because the primary it went to was replaced: what the caller sees is an RpcConnectionError. */
class PrimaryGoneError extends RpcConnectionError {}

/** The transactions of one node and its side of the primary role. */
export class Writes {
  private readonly remotes = new Map<string, Promise<Remote<TablesService>>>();
  private writer: PrimaryWriter | undefined;
  private counter = 0;
  /** The primary the forwards in flight went to, and the signal that aborts them when it is replaced. */
  private gone: { readonly primary: string; readonly controller: AbortController } | undefined;

  constructor(
    private readonly core: NodeCore,
    /** The weights behind the current quorum decision, for the QuorumLostError message. */
    private readonly quorumInfo: () => QuorumInfo,
  ) {}

  /** The tail of the current tenure's writer; null when this node is not writing. */
  get tail(): Position | null {
    return this.writer?.tail ?? null;
  }

  /** What this node serves to the others: forwarded entries, the committed tail, its snapshot. */
  service(snapshot: () => Promise<Uint8Array>): TablesService {
    return {
      submit: (bytes, id) => this.appendAsPrimary(Buffer.from(bytes), id),
      tail: () => this.primaryTail(),
      snapshot,
    };
  }

  /** See {@link Tables.transaction}. */
  async transaction<R>(fn: (tx: Transaction) => R | Promise<R>, options: TransactionOptions = {}): Promise<TransactionResult<R>> {
    const core = this.core;
    const retries = options.retries ?? 0;
    if (!Number.isInteger(retries) || retries < 0) throw new BadArgumentsError('transaction: retries must be a non-negative integer');
    const deadline = new Deadline(core.client.clock, options.timeout);
    for (let attempt = 0; ; attempt++) {
      throwIfAborted(options.signal, 'transaction');
      if (core.closed) throw new InvalidStateError(`tables ${core.name}: closed`);
      const tx = new RecordingTransaction(core.state);
      const result = await fn(tx);
      if (tx.empty) return { position: core.state.position ?? { segmentId: -1, entryId: -1 }, result };
      for (const { table, row } of tx.puts()) await validateSchema(core.state.definitions, table, row);
      const id = `${core.identifier}/${core.boot}/${this.counter++}`;
      core.pending.set(id, null);
      let outcome: ApplyResult;
      try {
        outcome = await this.commit(id, encodeEntry(tx.entry(id)), deadline, options.signal);
      } finally {
        core.pending.delete(id);
      }
      if (outcome.outcome === 'committed') return { position: outcome.position, result };
      if (outcome.outcome === 'rejected') throw rejectionError(outcome.error);
      if (attempt >= retries) throw new TransactionConflictError(outcome.table, outcome.key);
    }
  }

  /** Sends the entry of transaction `id` to the primary and resolves with its outcome once this node has applied it. */
  private async commit(id: string, bytes: Uint8Array, deadline: Deadline, signal: AbortSignal | undefined): Promise<ApplyResult> {
    const core = this.core;
    const what = `tables ${core.name}: transaction ${id}`;
    for (let sends = 1; ; sends++) {
      let position: Position | undefined;
      try {
        position = await this.callPrimary((remote) => remote.submit(bytes, id), () => this.appendAsPrimary(bytes, id), deadline, signal, false);
      } catch (err) {
        // The primary was lost (or the connection to it): the entry may be in the log or not.
        if (!(err instanceof RpcConnectionError)) throw err;
        if (sends >= MAX_SENDS) throw new OutcomeUnknownError(`${what}: sent ${sends} times, each cut short; its outcome is unknown`, { cause: err });
        position = await this.committedTailAfterLoss(deadline, signal);
      }
      core.heard(position);
      await core.applied.wait(position, { timeout: deadline.remaining(), signal }, what);
      const outcome = core.pending.get(id);
      if (outcome === 'unknown') throw new OutcomeUnknownError(`${what}: this node loaded a snapshot over the part of the log that would hold it; its outcome is unknown`);
      if (outcome !== null && outcome !== undefined) return outcome;
      // Applied up to the position returned for it, or up to a tail that covers all a lost primary wrote: the entry is not in the log.
      if (sends >= MAX_SENDS) throw new OutcomeUnknownError(`${what}: not found after ${sends} sends`);
    }
  }

  /**
   * The committed tail of the primary that replaced a lost one (or of the
   * same one, after a lost connection): a new primary's tail is at least its
   * tenure's barrier, written after it fenced the old one's segment, so it
   * covers every entry the lost primary could have written.
   */
  private async committedTailAfterLoss(deadline: Deadline, signal: AbortSignal | undefined): Promise<Position> {
    for (;;) {
      try {
        return await this.committedTail(deadline, signal);
      } catch (err) {
        // A primary the cluster still lists but that is gone (its session not yet expired): ask again.
        if (!(err instanceof RpcConnectionError)) throw err;
      }
      if (deadline.expired) throw timeoutError(`tables ${this.core.name}: waiting for a new primary`, deadline.timeout!);
      await sleep(this.core.client.clock, PRIMARY_POLL, signal);
    }
  }

  /** The primary's committed tail, from this node when it is the primary, else over rpc (a linearizable read). */
  committedTail(deadline: Deadline, signal: AbortSignal | undefined): Promise<Position> {
    return this.callPrimary((remote) => remote.tail(), () => this.primaryTail(), deadline, signal, true);
  }

  /**
   * Sends to the primary: `local` when this node is it, else its rpc object;
   * waits out elections. A call to a primary that is replaced meanwhile
   * (killed: its rpc object would otherwise be waited for until the
   * deadline) stops at once: an idempotent one goes to the new primary, any
   * other fails with RpcConnectionError (it may or may not have run).
   */
  private async callPrimary<T>(
    remoteCall: (remote: Remote<TablesService>) => Promise<T>,
    local: () => Promise<T>,
    deadline: Deadline,
    signal: AbortSignal | undefined,
    idempotent: boolean,
  ): Promise<T> {
    const core = this.core;
    for (;;) {
      throwIfAborted(signal, `tables ${core.name}`);
      if (!core.quorum) throw new QuorumLostError(`tables ${core.name}: no quorum (${this.quorumInfo().connected} of ${this.quorumInfo().total} weight connected)`);
      const primary = core.cluster.primary()?.identifier;
      try {
        if (primary === core.identifier) return await local();
        if (primary !== undefined) return await this.callRemotePrimary(primary, remoteCall, deadline, signal);
      } catch (err) {
        const retry = err instanceof HerdError && (err.code === 'NOT_PRIMARY' || (idempotent && err instanceof PrimaryGoneError));
        if (!retry) throw err;
      }
      if (deadline.expired) throw timeoutError(`tables ${core.name}: waiting for a primary`, deadline.timeout!);
      await sleep(core.client.clock, PRIMARY_POLL, signal);
    }
  }

  private async callRemotePrimary<T>(
    primary: string,
    remoteCall: (remote: Remote<TablesService>) => Promise<T>,
    deadline: Deadline,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    const remote = await this.remoteOf(primary);
    // Its own signal per call (AbortSignal.any): the shared one would collect a listener per call in flight.
    const gone = this.primaryGone(primary);
    return await remoteCall(withCallOptions(remote, { timeout: deadline.remaining(), signal: AbortSignal.any(signal === undefined ? [gone] : [signal, gone]) }));
  }

  /**
   * A signal that aborts (PrimaryGoneError) once `primary` is no longer the
   * cluster's primary: one listener on the cluster for all the calls in
   * flight to it, not one per call (16 concurrent forwards went past the
   * emitter's limit of 10 and warned).
   */
  private primaryGone(primary: string): AbortSignal {
    const { cluster, name } = this.core;
    if (this.gone?.primary === primary && !this.gone.controller.signal.aborted) return this.gone.controller.signal;
    if (this.gone === undefined) {
      cluster.on('primaryChanged', (change: PrimaryChange) => {
        const watched = this.gone;
        if (watched !== undefined && change.primary?.identifier !== watched.primary) {
          watched.controller.abort(new PrimaryGoneError(`tables ${name}: the primary ${watched.primary} was replaced during the call; finding the outcome`));
        }
      });
    }
    this.gone = { primary, controller: new AbortController() };
    // A change that came before this call started would otherwise go unseen.
    if (cluster.primary()?.identifier !== primary) this.gone.controller.abort(new PrimaryGoneError(`tables ${name}: the primary ${primary} was replaced`));
    return this.gone.controller.signal;
  }

  /** The rpc object of member `identifier`, looked up once and kept (dropped when the lookup fails). */
  remoteOf(identifier: string): Promise<Remote<TablesService>> {
    let remote = this.remotes.get(identifier);
    if (remote === undefined) {
      remote = lookup<TablesService>(this.core.client, this.core.logName, { tags: { identifier }, timeout: LOOKUP_TIMEOUT, ...this.core.hosting.lookupOptions() });
      remote.catch(() => this.remotes.delete(identifier));
      this.remotes.set(identifier, remote);
    }
    return remote;
  }

  /** This tenure's writer; waits (up to 10 s) for it to open while this node is the primary, else NotPrimaryError. */
  private async writerNow(): Promise<PrimaryWriter> {
    const core = this.core;
    for (let i = 0; i < 400; i++) {
      if (!core.cluster?.isPrimary) break;
      if (this.writer !== undefined) return this.writer;
      await sleep(core.client.clock, PRIMARY_POLL);
    }
    throw new NotPrimaryError(`tables ${core.name}: ${core.identifier} is not the primary`);
  }

  /** Appends as the primary; with `id`, first returns the position of an entry with that id already written (a resend). */
  private async appendAsPrimary(bytes: Uint8Array, id?: string): Promise<Position> {
    const writer = await this.writerNow();
    if (id !== undefined) {
      const core = this.core;
      // What this tenure acknowledged is applied here at once, unless the follower was still catching up: wait for it.
      if (!core.applied.reached(writer.tail)) await core.applied.wait(writer.tail, { timeout: DEDUPE_WAIT }, `tables ${core.name}: resent ${id}`);
      const known = core.recentIds.get(id) ?? writer.inFlight(id);
      if (known !== undefined) return known;
    }
    try {
      return await writer.append(bytes, id);
    } catch (err) {
      if (err instanceof InvalidStateError) throw new NotPrimaryError(`tables ${this.core.name}: the tenure ended`);
      throw err;
    }
  }

  private async primaryTail(): Promise<Position> {
    return (await this.writerNow()).tail;
  }

  /** One primary tenure (the cluster's onPrimary): the log's writer until `signal` aborts. */
  async lead(signal: AbortSignal): Promise<void> {
    const core = this.core;
    while (!signal.aborted) {
      try {
        this.writer = await PrimaryWriter.open(core.client, core.logName, core.identifier, await core.hosting.logOptions(), (entries, previous) => this.applyOwn(entries, previous));
        break;
      } catch {
        await sleep(core.client.clock, 200, signal).catch(() => {});
      }
    }
    if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    const writer = this.writer;
    this.writer = undefined;
    await writer?.close().catch(() => {});
  }

  /**
   * Applies the primary's acknowledged batch at once, when this node has
   * applied everything before it; else (the follower still catching up to
   * the tenure's barrier) leaves it to the follower.
   */
  private applyOwn(entries: readonly LogEntry[], previous: Position): void {
    const applied = this.core.state.position;
    if (applied === null || comparePosition(applied, previous) !== 0) return;
    try {
      applyEntries(this.core, entries);
    } catch (err) {
      // Only an entry this node cannot decode throws: the follower meets it too and stops there.
      this.core.warn(err);
    }
  }

  /** Closes the rpc objects of the other members. */
  async close(): Promise<void> {
    for (const remote of this.remotes.values()) await remote.then(closeRemote, () => {});
  }
}
