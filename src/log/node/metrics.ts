/**
 * A storage node's metrics in Prometheus text format (prom-client), served
 * at `GET /metrics` on the node's own HTTP port (`metricsPort`, `herd
 * log-node --metrics-port`). Each node has its own Registry, so several
 * nodes may share a process (tests, the bench).
 *
 * Durations are in seconds, as Prometheus prefers (the server's
 * src/server/admin/prometheus.ts does the same). Gauges are read from their
 * sources when scraped; the request figures come from the node's pipeline
 * through the {@link RequestObserver} this returns (./reply.ts reports each
 * answered request to it through the connection).
 *
 * | name                                         | type      | what                                                         |
 * |----------------------------------------------|-----------|--------------------------------------------------------------|
 * | herd_log_node_add_latency_seconds{kind}      | histogram | ADD_ENTRY / ADD_ENTRIES from arrival to reply (after fsync)  |
 * | herd_log_node_fsync_seconds                  | histogram | journal fdatasync of a group commit that acknowledged adds   |
 * | herd_log_node_fsyncs_total                   | counter   | journal fdatasyncs                                           |
 * | herd_log_node_entries_added_total            | counter   | entries acknowledged by this node since it started           |
 * | herd_log_node_bytes_stored                   | gauge     | bytes of the segment files                                   |
 * | herd_log_node_segments_stored                | gauge     | segments on this node                                        |
 * | herd_log_node_open_connections               | gauge     | client connections                                           |
 * | herd_log_node_requests_total{kind,status}    | counter   | requests answered, by message kind and reply status          |
 * | herd_log_node_under_replicated_segments      | gauge     | the auditor's count (only on a node given an auditor source) |
 *
 * plus prom-client's Node.js process metrics (CPU, memory, event loop lag, GC).
 */
import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { scrapedGauge } from '../../base/prometheus.js';
import { BadArgumentsError } from '../../errors.js';
import { kindName, Messages } from '../protocol/kinds.js';
import { statusName } from '../protocol/status.js';
import type { RequestObserver } from './connection.js';

/** Options of {@link startNodeMetrics}. */
export interface NodeMetricsOptions {
  /** Port of the HTTP listener; 0 picks a free one; undefined: no listener (the observer still counts, for nothing). */
  readonly port?: number | undefined;
  /** Address to listen on. Default `0.0.0.0`. */
  readonly host?: string | undefined;
}

/** Where the gauges read from when scraped. */
export interface NodeMetricsSources {
  /** The node's storage (NodeStorage.stats()). */
  readonly storage: { stats(): { readonly bytesStored: number; readonly segments: number; readonly fsyncs: number; readonly lastFsyncDuration: number } };
  /** The node's open connections (a Set of them will do). */
  readonly connections: { readonly size: number };
  /** The auditor's figures (src/log/repair), when this process runs one; without it the gauge is not exported. */
  readonly underReplicated?: { underReplicatedSegments(): number } | undefined;
}

/** A running metrics endpoint: what {@link startNodeMetrics} resolves to. */
export interface NodeMetrics extends AsyncDisposable {
  /** Hand this to the node's connections (ConnectionHost.observer): it feeds the request figures. */
  readonly observer: RequestObserver;
  /** The registry (one per node). */
  readonly registry: Registry;
  /** The port listened on (the chosen one when `port` was 0); undefined without a listener. */
  readonly port: number | undefined;
  /** Stops the listener. Idempotent. */
  close(): Promise<void>;
}

const ADD_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const FSYNC_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * Builds a node's registry and, when `options.port` is set, serves it at
 * `GET /metrics`. Resolves once listening. Throws BadArgumentsError for an
 * invalid port, and whatever listening throws (a port in use).
 */
export async function startNodeMetrics(options: NodeMetricsOptions, sources: NodeMetricsSources): Promise<NodeMetrics> {
  const { port, host = '0.0.0.0' } = options;
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new BadArgumentsError(`log node metrics: port must be 0..65535, got ${port}`);
  const registry = new Registry();
  const registers = [registry];
  scrapedGauge(registry, 'herd_log_node_bytes_stored', 'Bytes of entries stored in segment files on this node', () => sources.storage.stats().bytesStored);
  scrapedGauge(registry, 'herd_log_node_segments_stored', 'Segments stored on this node', () => sources.storage.stats().segments);
  scrapedGauge(registry, 'herd_log_node_open_connections', 'Open client connections', () => sources.connections.size);
  if (sources.underReplicated !== undefined) {
    const auditor = sources.underReplicated;
    scrapedGauge(registry, 'herd_log_node_under_replicated_segments', 'Segments with fewer than W good copies, as the auditor last counted them', () => auditor.underReplicatedSegments());
  }
  new Counter({
    name: 'herd_log_node_fsyncs_total',
    help: 'Journal fdatasync calls (one per group commit)',
    registers,
    collect() {
      this.reset();
      this.inc(sources.storage.stats().fsyncs);
    },
  });
  const entries = new Counter({ name: 'herd_log_node_entries_added_total', help: 'Entries this node acknowledged (fsynced) since it started', registers });
  const requests = new Counter({ name: 'herd_log_node_requests_total', help: 'Requests answered, by message kind and reply status', labelNames: ['kind', 'status'], registers });
  const addLatency = new Histogram({
    name: 'herd_log_node_add_latency_seconds',
    help: 'Time from an ADD_ENTRY or ADD_ENTRIES request arriving to its reply (after fsync), by kind',
    labelNames: ['kind'],
    buckets: ADD_BUCKETS,
    registers,
  });
  const fsync = new Histogram({ name: 'herd_log_node_fsync_seconds', help: 'Duration of the journal fdatasync of each group commit that acknowledged adds', buckets: FSYNC_BUCKETS, registers });
  collectDefaultMetrics({ register: registry });

  // The storage counts fsyncs and keeps the last one's duration; one look per event-loop turn in which adds finished sees each group commit once.
  let fsyncsSeen = sources.storage.stats().fsyncs;
  let lookScheduled = false;
  const lookAtFsyncs = (): void => {
    lookScheduled = false;
    const stats = sources.storage.stats();
    if (stats.fsyncs > fsyncsSeen) fsync.observe(stats.lastFsyncDuration / 1000);
    fsyncsSeen = stats.fsyncs;
  };
  const ADD = Messages.AddEntry.kind;
  const ADD_BATCH = Messages.AddEntries.kind;
  const observer: RequestObserver = {
    requestDone(kind, status, duration, stored) {
      const isAdd = kind === ADD || kind === ADD_BATCH;
      if (stored > 0) entries.inc(stored);
      requests.inc({ kind: kindName(kind), status: statusName(status) });
      if (!isAdd) return;
      addLatency.observe({ kind: kindName(kind) }, duration / 1000);
      if (!lookScheduled) {
        lookScheduled = true;
        setImmediate(lookAtFsyncs);
      }
    },
  };

  let server: Server | undefined;
  let boundPort: number | undefined;
  if (port !== undefined) {
    server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try GET /metrics\n');
        return;
      }
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(error)}\n`),
      );
    });
    const s = server;
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, host, () => {
        s.off('error', reject);
        resolve();
      });
    });
    boundPort = (s.address() as { port: number }).port;
  }
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= new Promise<void>((resolve) => {
      if (server === undefined || !server.listening) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
    }));
  return { observer, registry, port: boundPort, close, [Symbol.asyncDispose]: close };
}
