import type { Server } from 'node:net';

/**
 * Starts `server` listening and resolves with the port it bound (`port` 0
 * picks a free one); rejects with the listen error (EADDRINUSE, EACCES...).
 * Herd's rpc servers and the Pyro4 daemon start the same way.
 */
export async function listenOn(server: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  return typeof bound === 'object' && bound !== null ? bound.port : port;
}
