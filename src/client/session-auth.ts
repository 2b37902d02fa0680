import type { HerdError } from '../errors.js';

/** One promise waiting for the session: its settle functions. */
export interface Waiter {
  resolve(): void;
  reject(error: HerdError): void;
}

/** Credentials kept for the session's life, re-sent after every reconnect. */
export interface AuthEntry {
  readonly scheme: string;
  readonly auth: Buffer;
  /** addAuth calls waiting for the server to accept these credentials. */
  waiters: Waiter[];
}

/**
 * The session's credentials (the `auth` option and every addAuth) and the
 * addAuth calls waiting on them. Sending them is the request pipeline's
 * job; this only remembers them and settles their waiters.
 */
export class SessionAuth {
  private readonly list: AuthEntry[];

  constructor(initial: readonly { scheme: string; auth: Buffer }[]) {
    this.list = initial.map((a) => ({ scheme: a.scheme, auth: a.auth, waiters: [] }));
  }

  /** Every entry, in the order they were added (the order they are sent after a handshake). */
  get entries(): readonly AuthEntry[] {
    return this.list;
  }

  /** The entry for these credentials, added if new (`known`: it existed already). */
  find(scheme: string, auth: Buffer): { entry: AuthEntry; known: boolean } {
    const existing = this.list.find((a) => a.scheme === scheme && a.auth.equals(auth));
    if (existing !== undefined) return { entry: existing, known: true };
    const entry: AuthEntry = { scheme, auth, waiters: [] };
    this.list.push(entry);
    return { entry, known: false };
  }

  /** Settles the entry's waiters: accepted, or rejected with `error`. */
  settle(entry: AuthEntry, error?: HerdError): void {
    const waiters = entry.waiters;
    entry.waiters = [];
    for (const w of waiters) if (error === undefined) w.resolve();
    else w.reject(error);
  }

  /** The server refused the entry: it is forgotten, so a new session does not send it again. */
  refused(entry: AuthEntry, error: HerdError): void {
    const at = this.list.indexOf(entry);
    if (at >= 0) this.list.splice(at, 1);
    this.settle(entry, error);
  }

  /** The session ended: every waiter fails (a new error per entry). */
  failAll(error: () => HerdError): void {
    for (const entry of this.list) this.settle(entry, error());
  }
}
