/**
 * How each call of the public {@link Client} becomes a request: the path
 * checked, mapped through the chroot, the op chosen from the op table
 * (`src/jute/ops`), the reply mapped to the caller's result and the watch
 * bookkeeping hooked to the reply. `Client` is the documented surface and
 * forwards here; the session carries the requests (`session.ts`).
 */
import { BadArgumentsError } from '../errors.js';
import { AddWatchMode, WatcherType } from '../jute/enums.js';
import { ErrorCode } from '../jute/error-codes.js';
import type { CreateResponse } from '../jute/ops/create.js';
import type { GetDataResponse } from '../jute/ops/get-data.js';
import type { Op } from '../jute/ops/op.js';
import { Ops, type AnyOp, type RequestOf, type ResponseOf } from '../jute/ops/index.js';
import type { ReplyHeader } from '../jute/records/headers.js';
import type { Stat } from '../jute/records/stat.js';
import type { Clock } from '../base/clock.js';
import type { RawReply } from './call-options.js';
import type { Chroot } from './chroot.js';
import type { ClientWatches } from './client-watches.js';
import { copyData, toBuffer, type Data } from './data.js';
import { readOps, readResults, transactionOps, transactionResults } from './multi.js';
import { OpRequest, type ReplyHooks } from './op-request.js';
import { checkPath, createRequest, pathError } from './op-builders.js';
import { rawRequest } from './pending-requests.js';
import type { Session } from './session.js';
import type { CreateOptions, ReadOp, ReadResult, TransactionOp, TransactionResult } from './transaction.js';
import type { PersistentWatchListener, WatchListener } from './watch-event.js';
import type { PersistentWatchKind, WatcherKind } from './watch-registry.js';

/** A create's answer, whichever create op carried it (create has no Stat). */
type CreateOp = Op<RequestOf<typeof Ops.createTTL>, CreateResponse & { stat?: Stat }>;

/** The requests of one client; see the module comment. */
export class ClientCalls {
  constructor(
    private readonly session: Session,
    private readonly chroot: Chroot,
    private readonly watches: ClientWatches,
    private readonly clock: Clock,
  ) {}

  /** Sends one typed request; `map` turns the reply body into the result (a throw rejects). */
  call<Req, Res, T>(op: Op<Req, Res>, body: Req, path: string | undefined, map: (response: Res, header: ReplyHeader) => T, hooks?: ReplyHooks<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.session.submit(new OpRequest(op, body, path, map, hooks, resolve, reject, this.clock.now()));
    });
  }

  /** Any op exactly as given: the reply header and, when err is 0, the body; a non-zero err resolves. */
  raw<O extends AnyOp>(op: O, body: RequestOf<O>): Promise<RawReply<ResponseOf<O>>> {
    const generic = op as unknown as Op<RequestOf<O>, ResponseOf<O>>;
    return new Promise((resolve, reject) => {
      this.session.submit(
        rawRequest(generic, body, this.clock.now(), {
          complete: (header, response) => resolve(header.err === 0 ? { header, response: response as ResponseOf<O> } : { header }),
          fail: reject,
        }),
      );
    });
  }

  /** Validates the path, then runs `send`; any synchronous throw becomes a rejection. */
  guard<T>(path: string, opName: string, send: () => Promise<T>): Promise<T> {
    try {
      checkPath(path, opName);
      return send();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  create(path: string, data: Data | undefined, options: CreateOptions, withStat: boolean): Promise<{ path: string; stat?: Stat }> {
    let request;
    try {
      request = createRequest(this.chroot, path, data, options);
    } catch (error) {
      return Promise.reject(error);
    }
    // createRequest picks the op of the mode; a plain create asked for its Stat is create2.
    const name = request.op === 'create' && withStat ? 'create2' : request.op;
    return this.call(Ops[name] as CreateOp, request.body, path, (r) => ({ path: this.chroot.toClient(r.path), stat: r.stat }));
  }

  delete(path: string, version: number): Promise<void> {
    return this.guard(path, 'delete', () => this.call(Ops.delete, { path: this.chroot.toServer(path), version }, path, nothing));
  }

  exists(path: string, listener: WatchListener | undefined): Promise<Stat | null> {
    return this.guard(path, 'exists', () =>
      this.call(Ops.exists, { path: this.chroot.toServer(path), watch: listener !== undefined }, path, identity, {
        onReply: listener && ((err) => this.watches.existsReplied(path, err, listener)),
        onError: (err) => (err === ErrorCode.NONODE ? { value: null } : undefined),
      }),
    );
  }

  getData(path: string, listener: WatchListener | undefined): Promise<{ data: Buffer | null; stat: Stat }> {
    // The hottest calls skip guard()'s closure: validation is inlined.
    const invalid = pathError(path, 'getData');
    if (invalid !== undefined) return Promise.reject(invalid);
    const body = { path: this.chroot.toServer(path), watch: listener !== undefined };
    if (listener === undefined) return this.call(Ops.getData, body, path, dataResult);
    return this.call(Ops.getData, body, path, dataResult, {
      onReply: (err) => err === 0 && this.watches.registry.add('data', path, listener),
    });
  }

  setData(path: string, data: Data, version: number): Promise<Stat> {
    const invalid = pathError(path, 'setData');
    if (invalid !== undefined) return Promise.reject(invalid);
    let bytes: Buffer | null;
    try {
      bytes = toBuffer(data, EMPTY);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.call(Ops.setData, { path: this.chroot.toServer(path), data: bytes, version }, path, identity);
  }

  getChildren(path: string, listener: WatchListener | undefined, withStat: boolean): Promise<string[] | { children: string[]; stat: Stat }> {
    return this.guard<string[] | { children: string[]; stat: Stat }>(path, 'getChildren', () => {
      const body = { path: this.chroot.toServer(path), watch: listener !== undefined };
      const onReply = listener && ((err: number) => err === 0 && this.watches.registry.add('child', path, listener));
      if (withStat) return this.call(Ops.getChildren2, body, path, identity, { onReply });
      return this.call(Ops.getChildren, body, path, (r) => r.children, { onReply });
    });
  }

  /** An op whose request is the path alone, answered by `map` of its reply. */
  onPath<Res, T>(op: Op<{ path: string }, Res>, path: string, map: (response: Res) => T): Promise<T> {
    return this.guard(path, op.name, () => this.call(op, { path: this.chroot.toServer(path) }, path, map));
  }

  setACL(path: string, acl: RequestOf<typeof Ops.setACL>['acl'], version: number): Promise<Stat> {
    return this.guard(path, 'setACL', () => this.call(Ops.setACL, { path: this.chroot.toServer(path), acl, version }, path, identity));
  }

  getEphemerals(prefix: string): Promise<string[]> {
    return this.call(Ops.getEphemerals, { prefixPath: this.chroot.toServer(prefix) }, prefix, (r) => r.ephemerals.map((p) => this.chroot.toClient(p)));
  }

  multi(ops: readonly TransactionOp[]): Promise<TransactionResult[]> {
    let wire;
    try {
      wire = transactionOps(this.chroot, ops);
    } catch (error) {
      return Promise.reject(error);
    }
    const paths = ops.map((o) => o.path);
    return this.call(Ops.multi, { ops: wire }, undefined, (res) => transactionResults(this.chroot, res.results, paths));
  }

  multiRead(ops: readonly ReadOp[]): Promise<ReadResult[]> {
    const wire = readOps(this.chroot, ops);
    if (!Array.isArray(wire)) return Promise.reject(wire);
    return this.call(Ops.multiRead, { ops: wire }, undefined, (res) => readResults(res.results, ops));
  }

  addWatch(path: string, mode: PersistentWatchKind, listener: WatchListener | PersistentWatchListener, resync: boolean): Promise<void> {
    return this.guard(path, 'addWatch', () =>
      this.call(Ops.addWatch, { path: this.chroot.toServer(path), mode: AddWatchMode[mode] }, path, nothing, {
        onReply: (err) => this.watches.addWatchReplied(path, mode, listener, resync, err),
      }),
    );
  }

  checkWatches(path: string, type: WatcherKind): Promise<void> {
    return this.guard(path, 'checkWatches', () => {
      if (!Object.hasOwn(WatcherType, type)) throw new BadArgumentsError(`unknown watcher type ${String(type)}`, { op: 'checkWatches', path });
      return this.call(Ops.checkWatches, { path: this.chroot.toServer(path), type: WatcherType[type] }, path, nothing);
    });
  }
}

const EMPTY = Buffer.alloc(0);

/** getData's result: the data copied out of the socket chunk. Module-level, so no closure per call. */
function dataResult(r: GetDataResponse): { data: Buffer | null; stat: Stat } {
  return { data: copyData(r.data), stat: r.stat };
}

function identity<T>(v: T): T {
  return v;
}

function nothing(): undefined {
  return undefined;
}
