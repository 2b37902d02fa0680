import type { Logger, LogLevel } from './logger.js';

/** Options of {@link startServer}. */
export interface ServerOptions {
  /** TCP port; 0 picks a free one. Default 2181. */
  port?: number;
  /** Address to listen on. Default '0.0.0.0' (all interfaces). */
  host?: string;
  /**
   * Where the transaction log and snapshots live. Without it the server keeps
   * everything in memory only (nothing survives a restart).
   */
  dataDir?: string;
  /** fsync each batch of transactions before acknowledging it. Default true; turn off only in tests. */
  forceSync?: boolean;
  /** Transactions between snapshots (ZooKeeper's snapCount; the actual point is randomized in its upper half). Default 100000. */
  snapCount?: number;
  /** Snapshots (and the logs after them) kept when purging. Default 3. */
  snapRetainCount?: number;
  /** Log file preallocation step in bytes. Default 64 MiB. */
  preallocateBytes?: number;
  /** ZooKeeper's tickTime in ms: the unit of session timeouts. Default 2000. */
  tickTime?: number;
  /** Lowest session timeout granted. Default 2 × tickTime. */
  minSessionTimeout?: number;
  /** Highest session timeout granted. Default 20 × tickTime. */
  maxSessionTimeout?: number;
  /** Largest frame accepted, as jute.maxbuffer. Default 0xfffff (1 MiB - 1). */
  maxFrameSize?: number;
  /** Allow TTL nodes (zookeeper.extendedTypesEnabled). Default true. */
  extendedTypes?: boolean;
  /** `super:<base64 sha1>` digest that grants superuser (zookeeper.DigestAuthenticationProvider.superDigest). */
  superDigest?: string;
  /** How often empty containers and expired TTL nodes are removed, in ms. Default 60000. */
  containerCheckInterval?: number;
  /** Four-letter words answered on the client port; '*' for all. Default 'srvr,ruok,isro,stat'. */
  fourLetterWords?: string;
  logLevel?: LogLevel;
  logger?: Logger;
}

export interface ResolvedServerOptions {
  port: number;
  host: string;
  dataDir: string | undefined;
  forceSync: boolean;
  snapCount: number;
  snapRetainCount: number;
  preallocateBytes: number;
  tickTime: number;
  minSessionTimeout: number;
  maxSessionTimeout: number;
  maxFrameSize: number;
  extendedTypes: boolean;
  superDigest: string | undefined;
  containerCheckInterval: number;
  fourLetterWords: ReadonlySet<string> | 'all';
}

export function resolveOptions(o: ServerOptions): ResolvedServerOptions {
  const tickTime = o.tickTime ?? 2000;
  const words = o.fourLetterWords ?? 'srvr,ruok,isro,stat';
  return {
    port: o.port ?? 2181,
    host: o.host ?? '0.0.0.0',
    dataDir: o.dataDir,
    forceSync: o.forceSync ?? true,
    snapCount: o.snapCount ?? 100_000,
    snapRetainCount: Math.max(1, o.snapRetainCount ?? 3),
    preallocateBytes: o.preallocateBytes ?? 64 * 1024 * 1024,
    tickTime,
    minSessionTimeout: o.minSessionTimeout ?? tickTime * 2,
    maxSessionTimeout: o.maxSessionTimeout ?? tickTime * 20,
    maxFrameSize: o.maxFrameSize ?? 0xfffff,
    extendedTypes: o.extendedTypes ?? true,
    superDigest: o.superDigest,
    containerCheckInterval: o.containerCheckInterval ?? 60_000,
    fourLetterWords: words.trim() === '*' ? 'all' : new Set(words.split(',').map((w) => w.trim())),
  };
}
