/**
 * The calls a peer makes on one connection (connection.ts), served here:
 * each runs through the connection's {@link Dispatcher} (or, for a `#handle`
 * target, on a callback or reference this side lent), with the caller's
 * deadline, and its reply (RESULT, HANDLE or ERROR) goes back on the
 * connection.
 */
import type { Client } from '../client/index.js';
import { CancelledError, TimeoutError, type HerdError } from '../errors.js';
import { ProtocolError } from './errors.js';
import { ServedCall, isThenable, type CallContext } from './expose.js';
import type { Handles } from './handles.js';
import { toWireError } from './outgoing.js';
import { GOING_AWAY, type CallMessage, type Message } from './protocol.js';
import type { CallerInfo } from './security.js';

/** Runs the calls a peer makes. */
export interface Dispatcher {
  /**
   * Runs `method` of the object served as `target`. `call` is the call's
   * context: reading `call.signal` is what creates its AbortController and
   * deadline timer, so methods that never need them cost neither. `peer` is
   * the connection the call came on (one caller process: the `session`
   * instance mode keys its objects by it). Returns the method's value, or a
   * promise of it when the method returned one, and throws what it threw: a
   * synchronous method's reply costs no promise.
   */
  dispatch(target: string, method: string, args: unknown[], call: CallContext, peer: object): unknown;
  /** The serving process's client: it watches the holder nodes of the references lent (references.ts). */
  readonly client?: Client;
}

/** What the served calls need of their connection. */
export interface ServingLink {
  readonly address: string;
  /** True once the peer was told GOING_AWAY: calls that arrive now are refused unrun. */
  readonly draining: boolean;
  /** Who calls (serving side, once the handshake is done). */
  readonly caller: CallerInfo | undefined;
  send(m: Message): void;
  protocolFailure(error: ProtocolError): void;
}

/** The calls being served on one connection, by the caller's call id. */
export class IncomingCalls {
  private readonly running = new Map<number, ServedCall>();

  constructor(
    private readonly link: ServingLink,
    private readonly handles: Handles,
    private readonly dispatcher: Dispatcher | undefined,
  ) {}

  get size(): number {
    return this.running.size;
  }

  /** CANCEL: the caller gave up on call `id`. */
  cancel(id: number): void {
    this.running.get(id)?.abort(new CancelledError(`call ${id} cancelled by the caller`));
  }

  /** Aborts every call being served with `error`; `forget` also drops them (the connection failed: no reply can leave). */
  abortAll(error: HerdError, forget: boolean): void {
    for (const c of this.running.values()) c.abort(error);
    if (forget) this.running.clear();
  }

  /** Runs a CALL and sends its reply: at once when the method returned a value, when its promise settles otherwise. */
  serve(m: CallMessage): void {
    const link = this.link;
    const lent = m.target.startsWith('#');
    if (link.draining && !lent) {
      return link.send({ kind: 'error', id: m.id, error: { name: 'RpcConnectionError', code: GOING_AWAY, message: 'the server is closing: call not run' } });
    }
    if (!this.dispatcher && !lent) return link.send({ kind: 'error', id: m.id, error: { name: 'NotExposedError', code: 'NOT_EXPOSED', message: 'this side serves no objects' } });
    if (this.running.has(m.id)) return link.protocolFailure(new ProtocolError(`call id ${m.id} from ${link.address} is already running`));
    const call = new ServedCall(
      Date.now() + m.timeout,
      () => new TimeoutError(`call ${m.target}.${m.method}: the caller's deadline of ${m.timeout} ms passed`),
      link.caller,
    );
    this.running.set(m.id, call);
    let value: unknown;
    try {
      const args = this.handles.decodeArgs(m);
      value = lent ? this.handles.dispatch(m.target, m.method, args, call) : this.dispatcher!.dispatch(m.target, m.method, args, call, link);
    } catch (error) {
      return this.replyError(m, call, error);
    }
    if (isThenable(value)) {
      value.then(
        (v) => this.reply(m, call, v),
        (error: unknown) => this.replyError(m, call, error),
      );
    } else {
      this.reply(m, call, value);
    }
  }

  /** Sends the value a call returned (unless it was aborted: its caller has moved on), and forgets the call. */
  private reply(m: CallMessage, call: ServedCall, value: unknown): void {
    try {
      if (call.aborted) return;
      try {
        this.link.send(this.handles.encodeResult(m.id, value, call) ?? { kind: 'result', id: m.id, value });
      } catch (error) {
        this.link.send({ kind: 'error', id: m.id, error: toWireError(new ProtocolError(`result of ${m.target}.${m.method} cannot be sent: ${(error as Error).message}`)) });
      }
    } finally {
      this.settled(m, call);
    }
  }

  /** Sends what a call threw (unless it was aborted), and forgets the call. */
  private replyError(m: CallMessage, call: ServedCall, error: unknown): void {
    try {
      if (call.aborted) return;
      try {
        this.link.send({ kind: 'error', id: m.id, error: toWireError(error) });
      } catch (unsent) {
        // An error record too large for a frame (a huge message or stack) must not take the process down.
        this.link.send({ kind: 'error', id: m.id, error: toWireError(new ProtocolError(`the error of ${m.target}.${m.method} cannot be sent: ${(unsent as Error).message}`)) });
      }
    } finally {
      this.settled(m, call);
    }
  }

  private settled(m: CallMessage, call: ServedCall): void {
    call.done();
    this.running.delete(m.id);
  }

  /** Runs a ONEWAY call: no reply, its failure is dropped. */
  async serveOneway(m: Message & { kind: 'oneway' }): Promise<void> {
    // Nothing aborts a oneway call: its signal never fires.
    const call = new ServedCall(Infinity, () => undefined, this.link.caller);
    try {
      const run = m.target.startsWith('#')
        ? this.handles.dispatch(m.target, m.method, m.args, call)
        : this.dispatcher?.dispatch(m.target, m.method, m.args, call, this.link);
      if (isThenable(run)) await Promise.resolve(run).catch(() => undefined);
    } catch {
      // a oneway call's failure has nobody to go to
    }
  }
}
