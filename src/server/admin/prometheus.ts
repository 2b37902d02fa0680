import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { scrapedGauge } from '../../base/prometheus.js';
import type { ServerView } from '../server-view.js';
import { approximateDataSize, bytesReceived, bytesSent } from './commands.js';
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
 * in tests). Gauges are read when scraped; the latency histogram is fed by
 * a ServerMetrics hook on every request, so it keeps its own bucket counts
 * (a bucket search and three additions, about 30 ns) and hands them to
 * prom-client only when scraped: prom-client's own observe hashes the label
 * set each time, about 1 µs, a few percent of a request.
 */

const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const FSYNC_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export class PrometheusExporter {
  readonly registry = new Registry();

  constructor(private readonly server: ServerView) {
    const registers = [this.registry];
    scrapedGauge(this.registry, 'znode_count', 'Number of znodes in the data tree (as ZooKeeper counts them: the root twice)', () => server.tree.nodeCount);
    scrapedGauge(this.registry, 'watch_count', 'Number of watches (data and child tables, as mntr zk_watch_count)', () => server.watches.mntrWatchCount());
    scrapedGauge(this.registry, 'ephemerals_count', 'Number of ephemeral znodes', () => server.tree.ephemeralCount());
    scrapedGauge(this.registry, 'approximate_data_size', 'Sum of path lengths and data sizes in bytes (recomputed at most every 5 s)', () => approximateDataSize(server));
    scrapedGauge(this.registry, 'global_sessions', 'Number of live sessions', () => server.sessions.size);
    scrapedGauge(this.registry, 'num_alive_connections', 'Number of open client connections', () => server.connectionCount);
    scrapedGauge(this.registry, 'outstanding_requests', 'Requests received and not yet answered', () => server.outstandingRequests);
    scrapedGauge(this.registry, 'packets_received', 'Packets received since start or the last srst', () => server.metrics.packetsReceived);
    scrapedGauge(this.registry, 'packets_sent', 'Packets sent since start or the last srst', () => server.metrics.packetsSent);
    scrapedGauge(this.registry, 'last_processed_zxid', 'Zxid of the last transaction applied', () => Number(server.tree.lastZxid));
    scrapedGauge(this.registry, 'uptime', 'Milliseconds since the server started', () => Date.now() - server.metrics.startedAt);
    scrapedGauge(this.registry, 'auth_failed_count', 'Authentication failures', () => server.metrics.authFailed);
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
    const latency = new OpLatencyHistogram({
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
    server.metrics.onLatency = (type, ms) => latency.observeOp(type, ms / 1000);
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

interface OpBuckets {
  /** Per bucket (not cumulative), the last one for +Inf. */
  counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * A histogram labelled by op whose observations skip prom-client's label
 * handling: counts live here, by op code, and {@link get} renders them in
 * prom-client's histogram form (cumulative `_bucket{le}`, `_sum`, `_count`).
 */
class OpLatencyHistogram extends Histogram<'op'> {
  private readonly bounds: number[];
  private readonly byOp = new Map<number, OpBuckets>();

  constructor(config: ConstructorParameters<typeof Histogram<'op'>>[0] & { buckets: number[] }) {
    super(config);
    this.bounds = config.buckets;
  }

  observeOp(type: number, seconds: number): void {
    let b = this.byOp.get(type);
    if (b === undefined) this.byOp.set(type, (b = { counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 }));
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]!) i++;
    b.counts[i]!++;
    b.sum += seconds;
    b.count++;
  }

  /**
   * What prom-client's registry renders (and its get() builds on): the
   * stock histogram's value list, buckets carrying `le` in labels and the op
   * in sharedLabels, from this class's counts.
   */
  async getForPromString(): Promise<{ name: string; help: string; type: unknown; aggregator: unknown; values: unknown[] }> {
    const self = this as unknown as { name: string; help: string; type: unknown; aggregator: unknown };
    const name = self.name;
    const values: unknown[] = [];
    for (const [type, b] of this.byOp) {
      const sharedLabels = { op: opName(type) };
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += b.counts[i]!;
        values.push({ labels: { le: this.bounds[i]! }, sharedLabels, value: cumulative, metricName: `${name}_bucket` });
      }
      cumulative += b.counts[this.bounds.length]!;
      values.push({ labels: { le: '+Inf' }, sharedLabels, value: cumulative, metricName: `${name}_bucket` });
      values.push({ labels: {}, sharedLabels, value: b.sum, metricName: `${name}_sum` });
      values.push({ labels: {}, sharedLabels, value: b.count, metricName: `${name}_count` });
    }
    return { name, help: self.help, type: self.type, aggregator: self.aggregator, values };
  }

  override reset(): void {
    super.reset();
    // prom-client's constructor calls reset before this class's fields exist.
    (this.byOp as Map<number, OpBuckets> | undefined)?.clear();
  }
}
