import type { Logger, LogLevel } from './logger.js';

/** Who must show a client certificate on the secure port (ZooKeeper's `ssl.clientAuth`). */
export type ClientAuthMode = 'none' | 'want' | 'need';

/** TLS settings of the secure client port. PEM text or bytes (the CLI reads them from files). */
export interface TlsOptions {
  /** The server's private key (PEM). */
  key: string | Buffer;
  /** The server's certificate chain (PEM). */
  cert: string | Buffer;
  /** CA certificates that client certificates must chain to (PEM). Default: Node's bundled roots. */
  ca?: string | Buffer | Array<string | Buffer>;
  /**
   * 'need': a client without a certificate the CA vouches for is refused at
   * the handshake; 'want': a certificate is asked for and used when it is
   * valid, and a client without one still connects; 'none': none is asked
   * for. A verified certificate gives the connection the id
   * `x509:<subject DN, RFC 2253>`, as ZooKeeper's X509AuthenticationProvider.
   * Default 'need' (ZooKeeper's default).
   */
  clientAuth?: ClientAuthMode;
  /** A certificate subject (RFC 2253) that is superuser (zookeeper.X509AuthenticationProvider.superUser). */
  superUser?: string;
}

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
  /** TLS client port (ZooKeeper's secureClientPort); needs {@link tls}. 0 picks a free one. Default: none. */
  securePort?: number;
  /** Certificates for {@link securePort}. */
  tls?: TlsOptions;
  /**
   * Connections one client IP may hold open, over both ports (ZooKeeper's
   * maxClientCnxns); more are closed at accept. 0 = unlimited. Default 60.
   */
  maxClientConnections?: number;
  /**
   * Requests received and not yet answered (waiting for fsync, or held by
   * pause) across all connections, beyond which the server stops reading
   * from sockets until replies go out (ZooKeeper's globalOutstandingLimit).
   * Default 1000.
   */
  maxOutstandingRequests?: number;
  /**
   * Bytes of replies a connection may have waiting to be written to its
   * socket before the server stops reading that connection's requests
   * (a client that does not read its replies). Default 1 MiB.
   */
  sendBufferHighWaterMark?: number;
  /**
   * Bytes of replies and watch notifications a connection may have unsent
   * before it is closed (its session lives on until its timeout, as after any
   * disconnect). Watch notifications are not held back by
   * {@link sendBufferHighWaterMark}: without this limit a client that stops
   * reading while its watches fire would grow the server's memory without
   * bound. Default 16 MiB.
   */
  maxSendBuffer?: number;
  /** Allow TTL nodes (zookeeper.extendedTypesEnabled). Default true. */
  extendedTypes?: boolean;
  /** `super:<base64 sha1>` digest that grants superuser (zookeeper.DigestAuthenticationProvider.superDigest). */
  superDigest?: string;
  /** How often empty containers and expired TTL nodes are removed, in ms. Default 60000. */
  containerCheckInterval?: number;
  /**
   * Four-letter words answered on the client port, comma separated, or '*'
   * for all (ZooKeeper's 4lw.commands.whitelist). `srvr` is always on, as in
   * ZooKeeper. Others get "<word> is not executed because it is not in the
   * whitelist.". Default 'srvr,ruok,isro,stat,mntr': ZooKeeper enables only
   * srvr, but health checks (ruok) and monitoring agents (mntr) need these,
   * and they reveal no paths or session ids; cons, dump, wchc, wchp, envi and
   * conf (which do, or walk every watch) must be enabled explicitly.
   */
  fourLetterWords?: string;
  /**
   * Port of the HTTP admin server (`/commands/<name>` JSON as ZooKeeper's
   * AdminServer, `/metrics` for Prometheus); 0 picks a free one. Default: off.
   */
  adminPort?: number;
  /** Address the admin server listens on. Default '127.0.0.1' (it has no whitelist or auth). */
  adminHost?: string;
  /** Lowest level logged by the default logger: trace, debug, info, warn, error, fatal or silent. Default 'info'. */
  logLevel?: LogLevel;
  /** A logger to use instead of the default (pino to stderr), e.g. your application's pino instance. */
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
  securePort: number | undefined;
  tls: TlsOptions | undefined;
  maxClientConnections: number;
  maxOutstandingRequests: number;
  sendBufferHighWaterMark: number;
  maxSendBuffer: number;
  extendedTypes: boolean;
  superDigest: string | undefined;
  containerCheckInterval: number;
  fourLetterWords: ReadonlySet<string> | 'all';
  adminPort: number | undefined;
  adminHost: string;
}

export function resolveOptions(o: ServerOptions): ResolvedServerOptions {
  const tickTime = o.tickTime ?? 2000;
  const words = o.fourLetterWords ?? DEFAULT_FOUR_LETTER_WORDS;
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
    securePort: o.securePort,
    tls: o.tls,
    maxClientConnections: Math.max(0, o.maxClientConnections ?? 60),
    maxOutstandingRequests: Math.max(1, o.maxOutstandingRequests ?? 1000),
    sendBufferHighWaterMark: Math.max(1, o.sendBufferHighWaterMark ?? 1024 * 1024),
    maxSendBuffer: Math.max(1, o.maxSendBuffer ?? 16 * 1024 * 1024),
    extendedTypes: o.extendedTypes ?? true,
    superDigest: o.superDigest,
    containerCheckInterval: o.containerCheckInterval ?? 60_000,
    fourLetterWords: parseWhitelist(words),
    adminPort: o.adminPort,
    adminHost: o.adminHost ?? '127.0.0.1',
  };
}

/** Four-letter words on by default (see {@link ServerOptions.fourLetterWords}). */
export const DEFAULT_FOUR_LETTER_WORDS = 'srvr,ruok,isro,stat,mntr';

/** As ZooKeeper's FourLetterCommands.isEnabled: '*' anywhere in the list enables all; srvr is always on. */
function parseWhitelist(words: string): ReadonlySet<string> | 'all' {
  const list = words.split(',').map((w) => w.trim());
  if (list.includes('*')) return 'all';
  return new Set([...list.filter((w) => w !== ''), 'srvr']);
}
