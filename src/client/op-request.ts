import { HerdError, errorFromCode } from '../errors.js';
import type { Op } from '../jute/ops/op.js';
import type { ReplyHeader } from '../jute/records/headers.js';
import type { Codec, JuteWriter } from '../jute/writer.js';
import type { PendingRequest } from './pending-requests.js';

/** What a typed request does with its reply besides mapping the body. */
export interface ReplyHooks<T> {
  /** Runs first, for every reply (err included): watch registration. */
  onReply?: ((err: number) => unknown) | undefined;
  /** Turns some error codes into a value (exists → null). */
  onError?: ((err: number) => { value: T } | undefined) | undefined;
}

/**
 * One typed request of the client API, settling the promise its caller
 * awaits. A class rather than an object of closures: every request of a
 * pipeline allocates one, and its methods are shared.
 */
export class OpRequest<Req, Res, T> implements PendingRequest {
  readonly type: number;
  readonly opName: string;
  readonly response: Codec<unknown>;
  xid = 0;

  constructor(
    private readonly op: Op<Req, Res>,
    private readonly body: Req,
    readonly path: string | undefined,
    private readonly map: (response: Res, header: ReplyHeader) => T,
    private readonly hooks: ReplyHooks<T> | undefined,
    private readonly resolve: (value: T) => void,
    private readonly reject: (error: unknown) => void,
    readonly issuedAt: number,
  ) {
    this.type = op.code;
    this.opName = op.name;
    this.response = op.response as Codec<unknown>;
  }

  encode(w: JuteWriter): void {
    this.op.request.write(w, this.body);
  }

  complete(header: ReplyHeader, response: unknown): void {
    const hooks = this.hooks;
    try {
      hooks?.onReply?.(header.err);
      if (header.err !== 0) {
        const alt = hooks?.onError?.(header.err);
        if (alt !== undefined) this.resolve(alt.value);
        else this.reject(errorFromCode(header.err, this.path === undefined ? { op: this.opName } : { op: this.opName, path: this.path }));
        return;
      }
      this.resolve(this.map(response as Res, header));
    } catch (error) {
      this.reject(error instanceof HerdError ? error : new HerdError('MARSHALLINGERROR', String(error), { op: this.opName }));
    }
  }

  fail(error: HerdError): void {
    this.reject(error);
  }
}
