/**
 * UDP heartbeats of the sharedFs backend: every interval one small datagram
 * to every peer, and a record of when each peer was last heard.
 *
 * Datagram (UTF-8 JSON, well under any MTU):
 * `{"herd":"hb","v":1,"c":"<cluster>","n":"<identifier>","i":"<incarnation>","s":<seq>}`.
 * Anything else (another cluster, another program, garbage) is ignored, so
 * a stray or malicious sender cannot crash a node; it can still fake a
 * member's liveness, since heartbeats carry no authentication (document:
 * keep the heartbeat port on a trusted network).
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';

const MAGIC = 'hb';
const VERSION = 1;
/** Longer datagrams are not ours (identifiers are short); checked before parsing. */
const MAX_DATAGRAM = 2048;

/** Where to send one peer's heartbeats. */
export interface HeartbeatPeer {
  readonly identifier: string;
  readonly host: string;
  readonly port: number;
}

/** A heartbeat as received. */
export interface Heartbeat {
  /** The sender's member identifier. */
  readonly identifier: string;
  readonly incarnation: string;
  readonly seq: number;
}

export interface HeartbeatEvents {
  /** A valid heartbeat of this cluster arrived (our own are not reported). */
  heard: [Heartbeat];
}

/** Parses a datagram; null unless it is a heartbeat of `cluster`. */
export function parseHeartbeat(msg: Buffer, cluster: string): Heartbeat | null {
  if (msg.length > MAX_DATAGRAM) return null;
  let v: unknown;
  try {
    v = JSON.parse(msg.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (o['herd'] !== MAGIC || o['v'] !== VERSION || o['c'] !== cluster) return null;
  const identifier = o['n'];
  const incarnation = o['i'];
  const seq = o['s'];
  if (typeof identifier !== 'string' || identifier === '' || typeof incarnation !== 'string' || !Number.isSafeInteger(seq)) return null;
  return { identifier, incarnation, seq: seq as number };
}

/** The datagram of one heartbeat. */
export function encodeHeartbeat(cluster: string, beat: Heartbeat): Buffer {
  return Buffer.from(JSON.stringify({ herd: MAGIC, v: VERSION, c: cluster, n: beat.identifier, i: beat.incarnation, s: beat.seq }));
}

/**
 * Owns the heartbeat socket and its send timer. `start` cancels first, so a
 * second call does not leak a timer.
 */
export class Heartbeats extends EventEmitter<HeartbeatEvents> {
  private socket: Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private peers: readonly HeartbeatPeer[] = [];
  private seq = 0;
  private readonly lastHeard = new Map<string, number>();

  constructor(
    private readonly cluster: string,
    private readonly self: { readonly identifier: string; readonly incarnation: string },
    /** ms between beats. */
    private readonly interval: number,
    private readonly now: () => number,
  ) {
    super();
  }

  /** Binds the socket; resolves with the bound port. */
  async bind(port: number, host: string): Promise<number> {
    const socket = createSocket({ type: isIP(host) === 6 ? 'udp6' : 'udp4' });
    // Send failures (unreachable peer, full buffer) are per datagram and
    // retried by the next beat; a socket error must not crash the process.
    socket.on('error', () => undefined);
    socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => this.receive(msg, rinfo));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ port, address: host, exclusive: true }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    this.socket = socket;
    return socket.address().port;
  }

  /** Replaces the set of peers the beats go to. */
  setPeers(peers: readonly HeartbeatPeer[]): void {
    this.peers = peers.filter((p) => p.identifier !== this.self.identifier);
  }

  /** Sends a beat now and then every interval. */
  start(): void {
    this.cancel();
    this.beat();
    this.timer = setInterval(() => this.beat(), this.interval);
  }

  cancel(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** When `identifier` with `incarnation` was last heard (epoch ms), or undefined. */
  heardAt(identifier: string, incarnation: string): number | undefined {
    return this.lastHeard.get(key(identifier, incarnation));
  }

  /** Stops the timer and closes the socket. Idempotent. */
  async destroy(): Promise<void> {
    this.cancel();
    const socket = this.socket;
    this.socket = undefined;
    if (socket !== undefined) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  /** Sends one beat to every peer. */
  beat(): void {
    const socket = this.socket;
    if (socket === undefined) return;
    const msg = encodeHeartbeat(this.cluster, { identifier: this.self.identifier, incarnation: this.self.incarnation, seq: this.seq++ });
    for (const peer of this.peers) {
      socket.send(msg, peer.port, peer.host, () => undefined);
    }
  }

  private receive(msg: Buffer, _rinfo: RemoteInfo): void {
    const beat = parseHeartbeat(msg, this.cluster);
    if (beat === null || beat.identifier === this.self.identifier) return;
    this.lastHeard.set(key(beat.identifier, beat.incarnation), this.now());
    this.emit('heard', beat);
  }

  /** Forgets peers not heard since `before` (keeps the map small across restarts of peers). */
  forgetBefore(before: number): void {
    for (const [k, at] of this.lastHeard) if (at < before) this.lastHeard.delete(k);
  }
}

function key(identifier: string, incarnation: string): string {
  return `${identifier}\u0000${incarnation}`;
}
