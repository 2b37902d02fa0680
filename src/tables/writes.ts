/**
 * The write path of a tables node: a transaction runs against this node's
 * copy, its entry goes to the primary (this node, or another over rpc),
 * the primary appends it to the log through its tenure's writer, and the
 * caller waits until this node has applied it. Also the other calls that
 * must reach the primary (the committed tail of a linearizable read) and
 * the rpc objects of the other members.
 *
 * An entry is appended once; a forward whose connection drops is reported
 * to the caller (the transaction may or may not have committed), never
 * resent, so nothing is applied twice.
 */
import { Deadline, sleep, throwIfAborted, timeoutError } from '../base/wait.js';
import type { PrimaryChange } from '../cluster/index.js';
import { closeRemote, lookup, RpcConnectionError, withCallOptions, type Remote } from '../rpc/index.js';
import type { NodeCore } from './core.js';
import { BadArgumentsError, HerdError, InvalidStateError, NotPrimaryError, QuorumLostError, TransactionConflictError } from './errors.js';
import { anySignal, rejectionError, type QuorumInfo, type TablesService } from './node-types.js';
import type { TransactionOptions, TransactionResult } from './options.js';
import { PrimaryWriter } from './primary.js';
import type { ApplyResult } from './state/apply.js';
import { encodeEntry } from './state/codec.js';
import { validateSchema } from './state/definitions.js';
import type { Position } from './state/store.js';
import { RecordingTransaction, type Transaction } from './transaction.js';

/** How long a member's rpc object is looked up, ms. */
const LOOKUP_TIMEOUT = 10_000;
/** How often a call waiting for a primary looks again, ms. */
const PRIMARY_POLL = 25;

/** A forward cut short because the primary it went to was replaced: what the caller sees is an RpcConnectionError. */
class PrimaryGoneError extends RpcConnectionError {}

/** The transactions of one node and its side of the primary role. */
export class Writes {
  private readonly remotes = new Map<string, Promise<Remote<TablesService>>>();
  private writer: PrimaryWriter | undefined;
  private counter = 0;

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
      submit: (bytes) => this.appendAsPrimary(Buffer.from(bytes)),
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
      let outcome: ApplyResult | null;
      try {
        const bytes = encodeEntry(tx.entry(id));
        const position = await this.callPrimary((remote) => remote.submit(bytes), () => this.appendAsPrimary(bytes), deadline, options.signal, false);
        core.heard(position);
        await core.applied.wait(position, { timeout: deadline.remaining(), signal: options.signal }, `tables ${core.name}: transaction`);
        outcome = core.pending.get(id) ?? null;
      } finally {
        core.pending.delete(id);
      }
      if (outcome === null) throw new InvalidStateError(`tables ${core.name}: transaction ${id} was not found at its position`);
      if (outcome.outcome === 'committed') return { position: outcome.position, result };
      if (outcome.outcome === 'rejected') throw rejectionError(outcome.error);
      if (attempt >= retries) throw new TransactionConflictError(outcome.table, outcome.key);
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
    const { cluster, name } = this.core;
    const gone = new AbortController();
    const onChange = (change: PrimaryChange): void => {
      if (change.primary?.identifier !== primary) gone.abort(new PrimaryGoneError(`tables ${name}: the primary ${primary} was replaced during the call; its outcome is unknown`));
    };
    cluster.on('primaryChanged', onChange);
    try {
      const remote = await this.remoteOf(primary);
      return await remoteCall(withCallOptions(remote, { timeout: deadline.remaining(), signal: anySignal(signal, gone.signal) }));
    } finally {
      cluster.off('primaryChanged', onChange);
    }
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

  private async appendAsPrimary(bytes: Uint8Array): Promise<Position> {
    const writer = await this.writerNow();
    try {
      return await writer.append(bytes);
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
        this.writer = await PrimaryWriter.open(core.client, core.logName, core.identifier, await core.hosting.logOptions());
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

  /** Closes the rpc objects of the other members. */
  async close(): Promise<void> {
    for (const remote of this.remotes.values()) await remote.then(closeRemote, () => {});
  }
}
