/** The few parts of node-zookeeper-client 1.1.3 (untyped CommonJS) that bench/client-driver.ts uses. */
declare module 'node-zookeeper-client' {
  import type { EventEmitter } from 'node:events';

  export interface NzcStat {
    version: number;
  }

  export interface NzcClient extends EventEmitter {
    connect(): void;
    close(): void;
    getData(path: string, callback: (error: Error | null, data: Buffer, stat: NzcStat) => void): void;
    setData(path: string, data: Buffer | null, version: number, callback: (error: Error | null, stat: NzcStat) => void): void;
  }

  export function createClient(
    connectionString: string,
    options?: { sessionTimeout?: number; spinDelay?: number; retries?: number },
  ): NzcClient;

  const zookeeper: { createClient: typeof createClient };
  export default zookeeper;
}
