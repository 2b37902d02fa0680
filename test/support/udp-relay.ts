/**
 * A loopback UDP relay between nodes' heartbeat sockets, so tests can cut
 * heartbeats (all of them, or one node's) without root or iptables.
 *
 * Each node gets a front port on the relay; the node advertises the front
 * port instead of its own (sharedFs: `heartbeatAdvertisePort`), so every
 * datagram to it passes the relay. The relay knows each node's own port,
 * which is the source port of everything that node sends, so it can also
 * tell who a datagram comes from.
 */
import { createSocket, type Socket } from 'node:dgram';

export interface UdpRelay {
  /**
   * Relays datagrams for node `name`, whose socket is bound to
   * 127.0.0.1:`targetPort`. Resolves with the front port to advertise.
   */
  add(name: string, targetPort: number): Promise<number>;
  /** The front port of `name`. */
  frontPort(name: string): number;
  /** While on, every datagram is dropped. */
  dropAll(on: boolean): void;
  /** While on, datagrams to and from `name` are dropped; others flow. */
  isolate(name: string, on: boolean): void;
  /** Ends every drop. */
  restore(): void;
  /** Datagrams forwarded and dropped so far. */
  readonly forwarded: number;
  readonly dropped: number;
  close(): Promise<void>;
}

/** A UDP port on 127.0.0.1 that is free right now (released before this resolves). */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ port: 0, address: '127.0.0.1', exclusive: true }, () => resolve());
  });
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** Distinct free UDP ports (all held until every one is known). */
export async function freeUdpPorts(count: number): Promise<number[]> {
  const sockets = await Promise.all(
    Array.from({ length: count }, async () => {
      const socket = createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ port: 0, address: '127.0.0.1', exclusive: true }, () => resolve());
      });
      return socket;
    }),
  );
  const ports = sockets.map((s) => s.address().port);
  await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

interface Node {
  readonly name: string;
  readonly targetPort: number;
  readonly front: Socket;
  readonly frontPort: number;
}

export async function startUdpRelay(): Promise<UdpRelay> {
  const nodes = new Map<string, Node>();
  const byTargetPort = new Map<number, string>();
  const isolated = new Set<string>();
  let all = false;
  let forwarded = 0;
  let dropped = 0;

  return {
    async add(name: string, targetPort: number): Promise<number> {
      if (nodes.has(name)) throw new Error(`udp relay: ${name} already added`);
      const front = createSocket('udp4');
      front.on('error', () => undefined);
      await new Promise<void>((resolve, reject) => {
        front.once('error', reject);
        front.bind({ port: 0, address: '127.0.0.1', exclusive: true }, () => resolve());
      });
      front.on('message', (msg, rinfo) => {
        const from = byTargetPort.get(rinfo.port);
        if (all || isolated.has(name) || (from !== undefined && isolated.has(from))) {
          dropped++;
          return;
        }
        forwarded++;
        front.send(msg, targetPort, '127.0.0.1', () => undefined);
      });
      const node: Node = { name, targetPort, front, frontPort: front.address().port };
      nodes.set(name, node);
      byTargetPort.set(targetPort, name);
      return node.frontPort;
    },
    frontPort(name: string): number {
      const node = nodes.get(name);
      if (node === undefined) throw new Error(`udp relay: unknown node ${name}`);
      return node.frontPort;
    },
    dropAll(on: boolean): void {
      all = on;
    },
    isolate(name: string, on: boolean): void {
      if (on) isolated.add(name);
      else isolated.delete(name);
    },
    restore(): void {
      all = false;
      isolated.clear();
    },
    get forwarded() {
      return forwarded;
    },
    get dropped() {
      return dropped;
    },
    async close(): Promise<void> {
      await Promise.all([...nodes.values()].map((n) => new Promise<void>((resolve) => n.front.close(() => resolve()))));
      nodes.clear();
      byTargetPort.clear();
    },
  };
}
