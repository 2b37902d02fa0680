import type { ServerConnection } from '../connection.js';
import type { ServerView } from '../server-view.js';
import { FULL_VERSION, type AdminCommand, type JsonObject } from './command.js';
import { approximateDataSize, bytesReceived, dirSize, fileDescriptors, hex, isSecure, javaDouble } from './command-format.js';
import type { JsonValue } from './json.js';
import type { LatencySummary } from './server-metrics.js';

/** The admin commands of counters and connections: srvr, stat, mntr, cons, crst, srst. */

function sessionTimeout(server: ServerView, conn: ServerConnection): number {
  return server.sessions.get(conn.sessionId)?.timeout ?? 0;
}

/** ServerCnxn.getConnectionInfo. */
function connectionInfo(server: ServerView, conn: ServerConnection, brief: boolean): JsonObject {
  const info: JsonObject = {
    remote_socket_address: `${conn.remoteAddress}:${conn.remotePort}`,
    interest_ops: interestOps(conn),
    outstanding_requests: queued(conn),
    packets_received: conn.received,
    packets_sent: conn.sent,
  };
  if (brief) return info;
  const s = server.metrics.connection(conn);
  return {
    ...info,
    session_id: conn.sessionId,
    last_operation: s.lastOp,
    established: conn.connectedAt,
    session_timeout: sessionTimeout(server, conn),
    last_cxid: s.lastCxid,
    last_zxid: s.lastZxid,
    last_response_time: s.lastResponseTime,
    last_latency: s.lastLatency,
    min_latency: s.latency.minMs,
    avg_latency: Math.floor(s.latency.count === 0 ? 0 : s.latency.total / s.latency.count),
    max_latency: s.latency.maxMs,
  };
}

/** Requests of this connection not answered yet (ZooKeeper's `queued`). */
function queued(conn: ServerConnection): number {
  return conn.unanswered;
}

/** NIO interest ops: 1 (read) for a connection that reads, 0 for one answering a 4lw or closing. */
function interestOps(conn: ServerConnection): number {
  return conn.state === 'open' ? 1 : 0;
}

/** ServerCnxn.dumpConnectionInfo: one line, no newline. */
function connectionLine(info: JsonObject, brief: boolean): string {
  let line = ` /${String(info.remote_socket_address)}[${String(info.interest_ops)}](queued=${String(info.outstanding_requests)},recved=${String(info.packets_received)},sent=${String(info.packets_sent)}`;
  if (!brief && info.session_id !== 0n && info.session_id !== undefined) {
    line += `,sid=${hex(info.session_id as bigint)},lop=${String(info.last_operation)},est=${String(info.established)},to=${String(info.session_timeout)}`;
    if ((info.last_cxid as number) >= 0) line += `,lcxid=${hex(info.last_cxid as number)}`;
    line += `,lzxid=${hex(info.last_zxid as bigint)},lresp=${String(info.last_response_time)},llat=${String(info.last_latency)}`;
    line += `,minlat=${String(info.min_latency)},avglat=${String(info.avg_latency)},maxlat=${String(info.max_latency)}`;
  }
  return line + ')';
}

function connections(server: ServerView, brief: boolean): JsonObject {
  const plain: JsonValue[] = [];
  const secure: JsonValue[] = [];
  for (const conn of server.allConnections()) (isSecure(conn) ? secure : plain).push(connectionInfo(server, conn, brief));
  return { connections: plain, secure_connections: secure };
}

function allConnectionLines(data: JsonObject, brief: boolean): string {
  let out = '';
  for (const list of [data.connections, data.secure_connections] as JsonObject[][]) {
    for (const info of list ?? []) out += connectionLine(info, brief) + '\n';
  }
  return out;
}

async function serverStats(server: ServerView): Promise<JsonObject> {
  const m = server.metrics;
  const dataDirSize = await dirSize(server.options.dataDir);
  return {
    version: FULL_VERSION,
    read_only: false,
    server_stats: {
      packets_sent: m.packetsSent,
      packets_received: m.packetsReceived,
      fsync_threshold_exceed_count: 0,
      client_response_stats: { last_buffer_size: -1, min_buffer_size: -1, max_buffer_size: -1 },
      data_dir_size: dataDirSize,
      log_dir_size: dataDirSize,
      provider_null: false,
      server_state: 'standalone',
      last_processed_zxid: server.tree.lastZxid,
      outstanding_requests: server.outstandingRequests,
      avg_latency: m.latency.avg,
      max_latency: m.latency.maxMs,
      min_latency: m.latency.minMs,
      num_alive_client_connections: server.connectionCount,
      uptime: Date.now() - m.startedAt,
      auth_failed_count: m.authFailed,
      non_mtlsremote_conn_count: 0,
      non_mtlslocal_conn_count: 0,
    },
    client_response: { last_buffer_size: -1, min_buffer_size: -1, max_buffer_size: -1 },
    node_count: server.tree.nodeCount,
  };
}

/** ServerStats.toString plus "Node count:", the tail of srvr and stat. */
function statsText(data: JsonObject): string {
  const s = data.server_stats as JsonObject;
  return (
    `Latency min/avg/max: ${String(s.min_latency)}/${javaDouble(s.avg_latency as number)}/${String(s.max_latency)}\n` +
    `Received: ${String(s.packets_received)}\n` +
    `Sent: ${String(s.packets_sent)}\n` +
    `Connections: ${String(s.num_alive_client_connections)}\n` +
    `Outstanding: ${String(s.outstanding_requests)}\n` +
    `Zxid: ${hex(s.last_processed_zxid as bigint)}\n` +
    `Mode: ${String(s.server_state)}\n` +
    `Node count: ${String(data.node_count)}\n`
  );
}

export const srvr: AdminCommand = {
  names: ['server_stats', 'srvr'],
  word: 'srvr',
  run: serverStats,
  text: (data) => `Zookeeper version: ${String(data.version)}\n` + statsText(data),
};

export const stat: AdminCommand = {
  names: ['stats', 'stat'],
  word: 'stat',
  run: async (server) => ({ ...(await serverStats(server)), ...connections(server, true) }),
  text: (data) => `Zookeeper version: ${String(data.version)}\nClients:\n${allConnectionLines(data, true)}\n` + statsText(data),
};

/** mntr values: integers print as integers, these as Java doubles. */
const DOUBLES = new Set(['avg_latency', 'connection_drop_probability']);

function summary(prefix: string, s: LatencySummary, percentiles: boolean): JsonObject {
  const out: JsonObject = {
    [`avg_${prefix}`]: s.avg,
    [`min_${prefix}`]: s.minMs,
    [`max_${prefix}`]: s.maxMs,
    [`cnt_${prefix}`]: s.count,
    [`sum_${prefix}`]: Math.round(s.total),
  };
  if (percentiles) {
    out[`p50_${prefix}`] = Math.round(s.quantile(0.5));
    out[`p95_${prefix}`] = Math.round(s.quantile(0.95));
    out[`p99_${prefix}`] = Math.round(s.quantile(0.99));
    out[`p999_${prefix}`] = Math.round(s.quantile(0.999));
  }
  return out;
}

export const mntr: AdminCommand = {
  names: ['monitor', 'mntr'],
  word: 'mntr',
  run: async (server) => {
    const m = server.metrics;
    const fds = await fileDescriptors();
    return {
      version: FULL_VERSION,
      server_state: 'standalone',
      ephemerals_count: server.tree.ephemeralCount(),
      num_alive_connections: server.connectionCount,
      avg_latency: m.latency.avg,
      outstanding_requests: server.outstandingRequests,
      znode_count: server.tree.nodeCount,
      global_sessions: server.sessions.size,
      non_mtls_remote_conn_count: 0,
      packets_sent: m.packetsSent,
      packets_received: m.packetsReceived,
      connection_drop_probability: 0,
      watch_count: server.watches.mntrWatchCount(),
      auth_failed_count: m.authFailed,
      min_latency: m.latency.minMs,
      ...(fds ? { max_file_descriptor_count: fds.max } : {}),
      approximate_data_size: approximateDataSize(server),
      ...(fds ? { open_file_descriptor_count: fds.open } : {}),
      local_sessions: 0,
      uptime: Date.now() - m.startedAt,
      max_latency: m.latency.maxMs,
      outstanding_tls_handshake: 0,
      non_mtls_local_conn_count: 0,
      bytes_received_count: bytesReceived(server),
      ...summary('fsynctime', m.fsyncTime, false),
      ...summary('readlatency', m.readLatency, true),
      ...summary('updatelatency', m.updateLatency, true),
    };
  },
  text: (data) => {
    let out = '';
    for (const [key, value] of Object.entries(data)) {
      const v = typeof value === 'number' && (DOUBLES.has(key) || key.startsWith('avg_')) ? javaDouble(value) : String(value);
      out += `zk_${key}\t${v}\n`;
    }
    return out;
  },
};

export const cons: AdminCommand = {
  names: ['connections', 'cons'],
  word: 'cons',
  run: (server) => connections(server, false),
  text: (data) => allConnectionLines(data, false) + '\n',
};

export const crst: AdminCommand = {
  names: ['connection_stat_reset', 'crst'],
  word: 'crst',
  run: (server) => {
    for (const conn of server.allConnections()) server.metrics.resetConnection(conn);
    return {};
  },
  text: () => 'Connection stats reset.\n',
};

export const srst: AdminCommand = {
  names: ['stat_reset', 'srst'],
  word: 'srst',
  run: (server) => {
    server.metrics.reset();
    return {};
  },
  text: () => 'Server stats reset.\n',
};

