/**
 * A fallback TCP proxy for the client tests until test/support/tcp-proxy.ts
 * exists: forwards loopback connections to a server and can drop them,
 * black-hole them (bytes are swallowed both ways) or refuse new ones.
 */
import { createServer, connect, type Socket } from 'node:net';

export interface LocalProxy {
  port: number;
  connectionString: string;
  dropConnections(): void;
  blackhole(on: boolean): void;
  reject(on: boolean): void;
  close(): Promise<void>;
}

export async function startLocalProxy(host: string, port: number): Promise<LocalProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let holed = false;
  let refusing = false;
  const server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = connect({ host, port });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (d) => {
      if (!holed) upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (!holed) client.write(d);
    });
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const proxyPort = typeof addr === 'object' && addr ? addr.port : 0;
  const dropConnections = (): void => {
    for (const [a, b] of [...pairs]) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
  };
  return {
    port: proxyPort,
    connectionString: `127.0.0.1:${proxyPort}`,
    dropConnections,
    blackhole(on: boolean) {
      holed = on;
    },
    reject(on: boolean) {
      refusing = on;
    },
    async close() {
      dropConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
