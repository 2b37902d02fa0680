import type { ServerMetrics } from './admin/server-metrics.js';
import type { ServerConnection } from './connection.js';
import type { DataTree } from './data-tree.js';
import type { Logger } from './logger.js';
import type { ResolvedServerOptions } from './options.js';
import type { SessionTracker } from './session-tracker.js';
import type { WatchManager } from './watch-manager.js';

/**
 * What the observers of a running server (the four-letter words, the admin
 * HTTP server, the Prometheus collector) may read: the server's state, none
 * of its request pipeline. HerdServer implements it; the observers import
 * this type instead of the server, so the server module is the only one
 * that wires them and no import cycle runs back into it.
 */
export interface ServerView {
  readonly options: ResolvedServerOptions;
  readonly log: Logger;
  readonly tree: DataTree;
  readonly watches: WatchManager;
  readonly sessions: SessionTracker;
  readonly metrics: ServerMetrics;
  /** The client port the server listens on. */
  readonly port: number;
  /** The TLS client port, when one is configured. */
  readonly securePort: number | undefined;
  readonly connectionCount: number;
  /** Requests received and not yet answered, on every connection. */
  readonly outstandingRequests: number;
  /** The request types traced at debug level (`stmk` reads and sets it, as in ZooKeeper). */
  traceMask: bigint;
  allConnections(): ReadonlySet<ServerConnection>;
}
