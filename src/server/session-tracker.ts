import { createHmac, randomBytes } from 'node:crypto';

/**
 * Sessions and their expiry. Like ZooKeeper's ExpiryQueue, deadlines are
 * rounded up to the next tick so one timer per tick expires them in bulk.
 * Any packet from a session's connection pushes its deadline out (touch).
 * The tracker only decides who expired; closing a session (deleting its
 * ephemerals) is a txn the server runs through the pipeline.
 */

export interface Session {
  readonly id: bigint;
  readonly password: Buffer;
  timeout: number;
  /** Wall-clock ms at which the session expires unless touched. */
  expiresAt: number;
  /** Set once a closeSession txn is under way, so it is not closed twice. */
  closing: boolean;
}

export class SessionTracker {
  private readonly sessions = new Map<bigint, Session>();
  private nextId: bigint;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly tickTime: number,
    private readonly onExpire: (session: Session) => void,
    /** Keys the session passwords; kept with the data so sessions can resume after a restart. */
    private readonly secret: Buffer = randomBytes(32),
    private readonly now: () => number = Date.now,
  ) {
    // High byte 0 (server id 0): 0xFF would collide with TTL owners. Time in the middle bits keeps ids unique across restarts.
    this.nextId = (BigInt(now()) << 24n) & 0x00ff_ffff_ffff_ffffn;
  }

  get size(): number {
    return this.sessions.size;
  }

  all(): IterableIterator<Session> {
    return this.sessions.values();
  }

  /** The sessions a snapshot keeps: every one not being closed. */
  snapshotEntries(): Array<{ id: bigint; timeout: number }> {
    const out: Array<{ id: bigint; timeout: number }> = [];
    for (const s of this.sessions.values()) if (!s.closing) out.push({ id: s.id, timeout: s.timeout });
    return out;
  }

  get(id: bigint): Session | undefined {
    return this.sessions.get(id);
  }

  /** A fresh session id (not yet tracked: the createSession txn adds it). */
  allocateId(): bigint {
    return this.nextId++;
  }

  passwordFor(id: bigint): Buffer {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64BE(id);
    return createHmac('sha256', this.secret).update(buf).digest().subarray(0, 16);
  }

  /** Starts tracking a session (applying createSession, or restoring one). */
  add(id: bigint, timeout: number): Session {
    const session: Session = { id, password: this.passwordFor(id), timeout, expiresAt: 0, closing: false };
    this.sessions.set(id, session);
    this.touch(session);
    if (id >= this.nextId) this.nextId = id + 1n;
    return session;
  }

  touch(session: Session): void {
    session.expiresAt = this.roundToTick(this.now() + session.timeout);
  }

  remove(id: bigint): void {
    this.sessions.delete(id);
  }

  private roundToTick(time: number): number {
    return (Math.floor(time / this.tickTime) + 1) * this.tickTime;
  }

  /**
   * Checks at every tick boundary, where deadlines fall, as ZooKeeper's
   * session tracker sleeps until the next one: a session expires at the first
   * boundary past its timeout, not up to a tick later.
   */
  start(): void {
    this.stop();
    const schedule = (): void => {
      // A couple of ms past the boundary, so a timer firing early still sees it passed.
      const delay = this.tickTime - (this.now() % this.tickTime) + 2;
      this.timer = setTimeout(() => {
        schedule();
        this.expireDue();
      }, delay);
      this.timer.unref();
    };
    schedule();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Expires every session whose deadline has passed. */
  expireDue(): void {
    const now = this.now();
    for (const session of this.sessions.values()) {
      if (!session.closing && session.expiresAt <= now) this.onExpire(session);
    }
  }
}
