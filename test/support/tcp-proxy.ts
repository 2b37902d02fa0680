/**
 * A loopback TCP proxy that can cut, stall or refuse connections on demand, so
 * tests can simulate network partitions without root or iptables.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** The proxy's own port on 127.0.0.1. */
  readonly port: number;
  /** `'127.0.0.1:port'`, to hand to a client instead of the target's address. */
  readonly connectionString: string;
  /** Number of client connections currently open through the proxy. */
  readonly connectionCount: number;
  /** Close every current client/target connection pair (both sides see the connection end). */
  dropConnections(): void;
  /**
   * While on, keep every socket open but move no bytes in either direction,
   * like a partition where packets vanish. Bytes are held back, not discarded,
   * so the streams stay intact and flow again once turned off. New clients are
   * accepted but not connected to the target until then.
   */
  blackhole(on: boolean): void;
  /**
   * While on, stop listening so new connections are refused (ECONNREFUSED);
   * existing connections are untouched. Resolves once the listener state has changed.
   */
  reject(on: boolean): Promise<void>;
  /** Delay every chunk by `ms` in each direction (0 turns it off). Order is preserved. */
  setLatency(ms: number): void;
  /** Stop listening and destroy all connections. */
  close(): Promise<void>;
  /** close(), for `await using proxy = await startProxy(...)`: a proxy of a test's own, gone with the test. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** One direction of a proxied connection: reads `from`, writes `to`, honouring latency and the blackhole. */
class Pipe {
  private readonly queue: { chunk: Buffer; due: number }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private fromClosed = false;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly proxy: ProxyState,
    private readonly finish: () => void,
  ) {
    from.on('data', (chunk: Buffer) => {
      this.queue.push({ chunk, due: Date.now() + proxy.latencyMs });
      this.flush();
    });
    // Bytes delayed by latency must still reach the peer before it sees the close.
    from.on('close', () => {
      this.fromClosed = true;
      this.flush();
    });
    // Resume reading once the slow side has drained, unless stalled on purpose.
    to.on('drain', () => {
      if (!proxy.blackholed) from.resume();
    });
  }

  flush(): void {
    if (this.proxy.blackholed) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.queue.length > 0 && !this.to.destroyed) {
      const head = this.queue[0]!;
      const wait = head.due - Date.now();
      if (wait > 0) {
        this.timer = setTimeout(() => this.flush(), wait);
        return;
      }
      this.queue.shift();
      if (!this.to.write(head.chunk)) this.from.pause();
    }
    if (this.fromClosed) this.finish();
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

interface ProxyState {
  blackholed: boolean;
  latencyMs: number;
}

interface Pair {
  client: Socket;
  upstream: Socket | undefined;
  pipes: Pipe[];
}

/**
 * Start a TCP proxy on a free 127.0.0.1 port that forwards to `targetHost:targetPort`.
 *
 * Each accepted client gets its own connection to the target; when either
 * side closes or fails, the other side is closed too.
 */
export async function startProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const state: ProxyState = { blackholed: false, latencyMs: 0 };
  const pairs = new Set<Pair>();
  let server: Server | undefined;
  let port = 0;
  let rejecting = false;
  let closed = false;

  const teardown = (pair: Pair): void => {
    if (!pairs.delete(pair)) return;
    for (const p of pair.pipes) p.stop();
    pair.client.destroy();
    pair.upstream?.destroy();
  };

  const link = (pair: Pair): void => {
    const upstream = connect({ host: targetHost, port: targetPort });
    upstream.setNoDelay(true);
    pair.upstream = upstream;
    upstream.on('error', () => teardown(pair));
    const finish = (): void => teardown(pair);
    pair.pipes.push(new Pipe(pair.client, upstream, state, finish), new Pipe(upstream, pair.client, state, finish));
    // The client may have sent bytes while waiting for the target to be linked.
    pair.client.resume();
  };

  const onConnection = (client: Socket): void => {
    client.setNoDelay(true);
    const pair: Pair = { client, upstream: undefined, pipes: [] };
    pairs.add(pair);
    client.on('error', () => teardown(pair));
    // Until linked, no Pipe watches the client, so its close must end the pair here.
    client.on('close', () => {
      if (pair.upstream === undefined) teardown(pair);
    });
    client.pause();
    if (!state.blackholed) link(pair);
  };

  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = createServer({ pauseOnConnect: true }, onConnection);
      s.once('error', reject);
      s.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
        s.off('error', reject);
        const address = s.address();
        if (address === null || typeof address === 'string') {
          reject(new Error('proxy listener has no TCP address'));
          return;
        }
        port = address.port;
        server = s;
        resolve();
      });
    });

  const stopListening = (): void => {
    // Only the listening socket goes away; accepted connections keep running.
    server?.close();
    server = undefined;
  };

  await listen();

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    stopListening();
    for (const pair of [...pairs]) teardown(pair);
  }

  return {
    get port() {
      return port;
    },
    get connectionString() {
      return `127.0.0.1:${port}`;
    },
    get connectionCount() {
      return pairs.size;
    },
    dropConnections(): void {
      for (const pair of [...pairs]) teardown(pair);
    },
    blackhole(on: boolean): void {
      state.blackholed = on;
      for (const pair of pairs) {
        if (on) {
          pair.client.pause();
          pair.upstream?.pause();
        } else if (pair.upstream === undefined) {
          link(pair);
        } else {
          pair.client.resume();
          pair.upstream.resume();
          for (const pipe of pair.pipes) pipe.flush();
        }
      }
    },
    async reject(on: boolean): Promise<void> {
      if (closed || on === rejecting) return;
      rejecting = on;
      if (on) stopListening();
      else await listen();
    },
    setLatency(ms: number): void {
      state.latencyMs = Math.max(0, ms);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
