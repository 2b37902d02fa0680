import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { HerdServer } from '../server.js';
import { approximateDataSize, bytesReceived, bytesSent, outstandingRequests } from './commands.js';
import { opName } from './server-metrics.js';

/**
 * The server's metrics in Prometheus text format (prom-client), for the
 * admin server's `GET /metrics`. Gauges that mirror mntr keep ZooKeeper's
 * Prometheus names (znode_count, watch_count, num_alive_connections,
 * outstanding_requests, global_sessions, ...), so dashboards built for
 * ZooKeeper's PrometheusMetricsProvider find them; histograms and byte
 * counters that ZooKeeper has no equivalent for are named `herd_*`, in
 * seconds as Prometheus prefers. Node.js process metrics (prom-client's
 * defaults: CPU, memory, event loop lag, GC) come along.
 *
 * Each registry belongs to one server (several servers may share a process
 * in tests). Gauges are read when scraped; the histograms are fed by
 * ServerMetrics hooks, one cached child per op, so a request costs one
 * observe.
 */

const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const FSYNC_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export class PrometheusExporter {
  readonly registry = new Registry();

  constructor(private readonly server: HerdServer) {
    const registers = [this.registry];
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    gauge('znode_count', 'Number of znodes in the data tree (as ZooKeeper counts them: the root twice)', () => server.tree.nodeCount);
    gauge('watch_count', 'Number of watches (data and child tables, as mntr zk_watch_count)', () => server.watches.mntrWatchCount());
    gauge('ephemerals_count', 'Number of ephemeral znodes', () => server.tree.ephemeralCount());
    gauge('approximate_data_size', 'Sum of path lengths and data sizes in bytes (recomputed at most every 5 s)', () => approximateDataSize(server));
    gauge('global_sessions', 'Number of live sessions', () => server.sessions.size);
    gauge('num_alive_connections', 'Number of open client connections', () => server.connectionCount);
    gauge('outstanding_requests', 'Requests received and not yet answered', () => outstandingRequests(server));
    gauge('packets_received', 'Packets received since start or the last srst', () => server.metrics.packetsReceived);
    gauge('packets_sent', 'Packets sent since start or the last srst', () => server.metrics.packetsSent);
    gauge('last_processed_zxid', 'Zxid of the last transaction applied', () => Number(server.tree.lastZxid));
    gauge('uptime', 'Milliseconds since the server started', () => Date.now() - server.metrics.startedAt);
    gauge('auth_failed_count', 'Authentication failures', () => server.metrics.authFailed);
    new Counter({
      name: 'herd_bytes_received_total',
      help: 'Bytes read from client sockets',
      registers,
      collect() {
        this.reset();
        this.inc(bytesReceived(server));
      },
    });
    new Counter({
      name: 'herd_bytes_sent_total',
      help: 'Bytes written to client sockets',
      registers,
      collect() {
        this.reset();
        this.inc(bytesSent(server));
      },
    });
    const latency = new Histogram({
      name: 'herd_request_latency_seconds',
      help: 'Time from a request arriving to its reply being released (after fsync for writes), by op',
      labelNames: ['op'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    const fsync = new Histogram({
      name: 'herd_fsync_seconds',
      help: 'Duration of each transaction log fsync (one per group-commit batch)',
      buckets: FSYNC_BUCKETS,
      registers,
    });
    const byOp = new Map<number, { observe(v: number): void }>();
    server.metrics.onLatency = (type, ms) => {
      let child = byOp.get(type);
      if (child === undefined) byOp.set(type, (child = latency.labels(opName(type))));
      child.observe(ms / 1000);
    };
    server.metrics.onFsync = (ms) => fsync.observe(ms / 1000);
    collectDefaultMetrics({ register: this.registry });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** Stops feeding the histograms. */
  close(): void {
    this.server.metrics.onLatency = null;
    this.server.metrics.onFsync = null;
  }
}
