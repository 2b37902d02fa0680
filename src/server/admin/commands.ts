import { readdir, readFile, stat as statFile } from 'node:fs/promises';
import { hostname, arch, release, type as osType, tmpdir, userInfo, homedir } from 'node:os';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import type { ServerConnection } from '../connection.js';
import type { ServerView } from '../server-view.js';
import type { JsonValue } from './json.js';

/**
 * ZooKeeper 3.8's admin commands, each in one place: a function that
 * returns the command's data as a structured object (keys and order as in
 * ZooKeeper's AdminServer JSON), and, for those with a four-letter word, the
 * function that renders that object as ZooKeeper's 4lw text. The HTTP admin
 * server sends the object as JSON; the client port sends the text.
 *
 * Formats follow ZooKeeper 3.8 (command/*.java, ServerStats.toString,
 * ServerCnxn.dumpConnectionInfo, ExpiryQueue.dump, DataTree.dumpEphemerals,
 * WatchManager.dumpWatches, admin/Commands.java). Where Herd has no
 * counterpart the value ZooKeeper prints in that situation is used (-1 for
 * secureClientPort when there is none, 0 for server id and for TLS and quorum
 * counters). `envi` names Node.js instead of the JVM: `node.*` keys where
 * ZooKeeper has `java.*`.
 */

export const HERD_VERSION = '3.8.4-herd';
/** ZooTrace's initial mask: client requests, server packets, sessions and warnings (2 | 16 | 32 | 256). */
export const DEFAULT_TRACE_MASK = 306n;

/** The version line of srvr/stat/mntr/envi. */
export const FULL_VERSION = `${HERD_VERSION}, built on herd`;

type JsonObject = { [key: string]: JsonValue };

/** Arguments of a command by name (ZooKeeper's kwargs). */
export type CommandArgs = Readonly<Record<string, string>>;

const NO_ARGS: CommandArgs = {};

export interface AdminCommand {
  /** Primary name (AdminServer) first, then aliases. */
  readonly names: readonly string[];
  /** The four-letter word, when it has one. */
  readonly word?: string;
  /** `args`: the query parameters of the HTTP request, or what a four-letter word carries after the word (stmk's mask). */
  run(server: ServerView, args: CommandArgs): JsonObject | Promise<JsonObject>;
  /** The four-letter word's answer, rendered from {@link run}'s object. */
  text?(data: JsonObject, server: ServerView): string;
}

// ---- shared figures -----------------------------------------------------------------

function hex(n: bigint | number): string {
  return `0x${BigInt(n) < 0n ? (BigInt(n) & 0xffff_ffff_ffff_ffffn).toString(16) : n.toString(16)}`;
}

/** A double as Java prints it ("0.0", "9.1667"). */
function javaDouble(n: number): string {
  return Number.isInteger(n) ? n.toFixed(1) : String(n);
}

function isSecure(conn: ServerConnection): boolean {
  return 'encrypted' in conn.socket && conn.socket.encrypted === true;
}

/** Total size of the files under a directory (ZooKeeper's getDirSize), 0 for an in-memory server. */
async function dirSize(dir: string | undefined): Promise<number> {
  if (dir === undefined) return 0;
  let total = 0;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    try {
      const s = await statFile(join(dir, name));
      total += s.isDirectory() ? await dirSize(join(dir, name)) : s.size;
    } catch {
      // Purged meanwhile.
    }
  }
  return total;
}

let approxCache: { server: WeakRef<ServerView>; zxid: bigint; at: number; size: number } | null = null;

/**
 * zk_approximate_data_size. It walks the tree, so on a large tree (100,000
 * nodes or more) that is being written to, it is recomputed at most every 5 s.
 */
export function approximateDataSize(server: ServerView): number {
  const now = Date.now();
  const c = approxCache;
  if (c && c.server.deref() === server) {
    if (c.zxid === server.tree.lastZxid) return c.size;
    if (server.tree.nodeCount >= 100_000 && now - c.at < 5_000) return c.size;
  }
  const size = server.tree.approximateDataSize();
  approxCache = { server: new WeakRef(server), zxid: server.tree.lastZxid, at: now, size };
  return size;
}

/** Open and maximum file descriptors (Linux /proc), or undefined elsewhere. */
async function fileDescriptors(): Promise<{ open: number; max: number } | undefined> {
  try {
    const open = (await readdir('/proc/self/fd')).length;
    const limits = await readFile('/proc/self/limits', 'utf8');
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
    const max = m === null || m[1] === 'unlimited' ? -1 : Number(m[1]);
    return { open, max };
  } catch {
    return undefined;
  }
}

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

// ---- the commands ---------------------------------------------------------------------

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

const srvr: AdminCommand = {
  names: ['server_stats', 'srvr'],
  word: 'srvr',
  run: serverStats,
  text: (data) => `Zookeeper version: ${String(data.version)}\n` + statsText(data),
};

const stat: AdminCommand = {
  names: ['stats', 'stat'],
  word: 'stat',
  run: async (server) => ({ ...(await serverStats(server)), ...connections(server, true) }),
  text: (data) => `Zookeeper version: ${String(data.version)}\nClients:\n${allConnectionLines(data, true)}\n` + statsText(data),
};

const ruok: AdminCommand = {
  names: ['ruok'],
  word: 'ruok',
  run: () => ({}),
  text: () => 'imok',
};

const isro: AdminCommand = {
  names: ['is_read_only', 'isro'],
  word: 'isro',
  run: () => ({ read_only: false }),
  text: (data) => (data.read_only === true ? 'ro' : 'rw'),
};

/** mntr values: integers print as integers, these as Java doubles. */
const DOUBLES = new Set(['avg_latency', 'connection_drop_probability']);

function summary(prefix: string, s: import('./server-metrics.js').LatencySummary, percentiles: boolean): JsonObject {
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

const mntr: AdminCommand = {
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

/** Socket bytes read, closed connections included. */
export function bytesReceived(server: ServerView): number {
  let n = server.metrics.closedBytesReceived;
  for (const conn of server.allConnections()) n += conn.socket.bytesRead;
  return n;
}

export function bytesSent(server: ServerView): number {
  let n = server.metrics.closedBytesSent;
  for (const conn of server.allConnections()) n += conn.socket.bytesWritten;
  return n;
}

const cons: AdminCommand = {
  names: ['connections', 'cons'],
  word: 'cons',
  run: (server) => connections(server, false),
  text: (data) => allConnectionLines(data, false) + '\n',
};

const crst: AdminCommand = {
  names: ['connection_stat_reset', 'crst'],
  word: 'crst',
  run: (server) => {
    for (const conn of server.allConnections()) server.metrics.resetConnection(conn);
    return {};
  },
  text: () => 'Connection stats reset.\n',
};

const srst: AdminCommand = {
  names: ['stat_reset', 'srst'],
  word: 'srst',
  run: (server) => {
    server.metrics.reset();
    return {};
  },
  text: () => 'Server stats reset.\n',
};

function maxClientConnections(server: ServerView): number {
  return server.options.maxClientConnections;
}

function securePort(server: ServerView): number {
  return server.securePort ?? -1;
}

const conf: AdminCommand = {
  names: ['configuration', 'conf', 'config'],
  word: 'conf',
  run: async (server) => {
    const o = server.options;
    const dataDir = o.dataDir ?? '';
    const size = await dirSize(o.dataDir);
    return {
      client_port: server.port,
      secure_client_port: securePort(server),
      data_dir: dataDir,
      data_dir_size: size,
      data_log_dir: dataDir,
      data_log_size: size,
      tick_time: o.tickTime,
      max_client_cnxns: maxClientConnections(server),
      min_session_timeout: o.minSessionTimeout,
      max_session_timeout: o.maxSessionTimeout,
      server_id: 0,
      client_port_listen_backlog: -1,
    };
  },
  text: (d) =>
    `clientPort=${String(d.client_port)}\n` +
    `secureClientPort=${String(d.secure_client_port)}\n` +
    `dataDir=${String(d.data_dir)}\n` +
    `dataDirSize=${String(d.data_dir_size)}\n` +
    `dataLogDir=${String(d.data_log_dir)}\n` +
    `dataLogSize=${String(d.data_log_size)}\n` +
    `tickTime=${String(d.tick_time)}\n` +
    `maxClientCnxns=${String(d.max_client_cnxns)}\n` +
    `minSessionTimeout=${String(d.min_session_timeout)}\n` +
    `maxSessionTimeout=${String(d.max_session_timeout)}\n` +
    `clientPortListenBacklog=${String(d.client_port_listen_backlog)}\n` +
    `serverId=${String(d.server_id)}\n`,
};

function mb(bytes: number): string {
  return `${Math.floor(bytes / (1024 * 1024))}MB`;
}

const envi: AdminCommand = {
  names: ['environment', 'env', 'envi'],
  word: 'envi',
  run: () => {
    const mem = process.memoryUsage();
    let user = '';
    try {
      user = userInfo().username;
    } catch {
      // No passwd entry for this uid.
    }
    return {
      'zookeeper.version': FULL_VERSION,
      'host.name': hostname(),
      'node.version': process.version,
      'node.v8.version': process.versions.v8,
      'node.exec.path': process.execPath,
      'node.argv': process.argv.slice(1).join(' '),
      'os.tmpdir': tmpdir(),
      'os.name': osType(),
      'os.arch': arch(),
      'os.version': release(),
      'user.name': user,
      'user.home': homedir(),
      'user.dir': process.cwd(),
      'os.memory.free': mb(mem.heapTotal - mem.heapUsed),
      'os.memory.max': mb(getHeapStatistics().heap_size_limit),
      'os.memory.total': mb(mem.heapTotal),
    };
  },
  text: (data) => 'Environment:\n' + Object.entries(data).map(([k, v]) => `${k}=${String(v)}\n`).join(''),
};

const dirs: AdminCommand = {
  names: ['dirs'],
  word: 'dirs',
  run: async (server) => {
    const size = await dirSize(server.options.dataDir);
    return { datadir_size: size, logdir_size: size };
  },
  text: (d) => `datadir_size: ${String(d.datadir_size)}\nlogdir_size: ${String(d.logdir_size)}\n`,
};

const wchs: AdminCommand = {
  names: ['watch_summary', 'wchs'],
  word: 'wchs',
  run: (server) => ({
    num_connections: server.watches.sessionCount(),
    num_paths: server.watches.pathCount(),
    num_total_watches: server.watches.watchCount(),
  }),
  text: (d) => `${String(d.num_connections)} connections watching ${String(d.num_paths)} paths\nTotal watches:${String(d.num_total_watches)}\n`,
};

const wchc: AdminCommand = {
  names: ['watches', 'wchc'],
  word: 'wchc',
  run: (server) => {
    const out: JsonObject = {};
    for (const [sid, paths] of server.watches.bySession()) out[sid.toString()] = paths;
    return { session_id_to_watched_paths: out };
  },
  text: (d) => {
    let out = '';
    for (const [sid, paths] of Object.entries(d.session_id_to_watched_paths as JsonObject)) {
      out += `${hex(BigInt(sid))}\n`;
      for (const path of paths as string[]) out += `\t${path}\n`;
    }
    return out + '\n';
  },
};

const wchp: AdminCommand = {
  names: ['watches_by_path', 'wchp'],
  word: 'wchp',
  run: (server) => {
    const out: JsonObject = {};
    for (const [path, sids] of server.watches.byPath()) out[path] = sids;
    return { path_to_session_ids: out };
  },
  text: (d) => {
    let out = '';
    for (const [path, sids] of Object.entries(d.path_to_session_ids as JsonObject)) {
      out += `${path}\n`;
      for (const sid of sids as bigint[]) out += `\t${hex(sid)}\n`;
    }
    return out + '\n';
  },
};

/** Java's Date.toString in UTC: "Wed Nov 25 18:07:22 UTC 2026". */
function javaDate(ms: number): string {
  const d = new Date(ms);
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()]!;
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()]!;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${day} ${mon} ${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}

/** ExpiryQueue.dump: "Sets (buckets)/(items):", then each bucket by time with its items. */
function expiryText(buckets: Map<number, string[]>): string {
  const times = [...buckets.keys()].sort((a, b) => a - b);
  let items = 0;
  for (const list of buckets.values()) items += list.length;
  let out = `Sets (${buckets.size})/(${items}):\n`;
  for (const time of times) {
    const list = buckets.get(time)!;
    out += `${list.length} expire at ${javaDate(time)}:\n`;
    for (const item of list) out += `\t${item}\n`;
  }
  return out;
}

const dump: AdminCommand = {
  names: ['dump'],
  word: 'dump',
  run: (server) => {
    const expiry = new Map<number, bigint[]>();
    for (const s of server.sessions.all()) {
      if (s.closing) continue;
      let list = expiry.get(s.expiresAt);
      if (!list) expiry.set(s.expiresAt, (list = []));
      list.push(s.id);
    }
    const byTime: JsonObject = {};
    for (const time of [...expiry.keys()].sort((a, b) => a - b)) byTime[String(time)] = expiry.get(time)!;
    const ephemerals: JsonObject = {};
    for (const [sid, paths] of server.tree.allEphemerals()) if (paths.size > 0) ephemerals[sid.toString()] = [...paths];
    return { expiry_time_to_session_ids: byTime, session_id_to_ephemeral_paths: ephemerals };
  },
  text: (d, server) => {
    const sessions = new Map<number, string[]>();
    for (const [time, sids] of Object.entries(d.expiry_time_to_session_ids as JsonObject)) {
      sessions.set(Number(time), (sids as bigint[]).map((sid) => hex(sid)));
    }
    const ephemerals = Object.entries(d.session_id_to_ephemeral_paths as JsonObject);
    let out = 'SessionTracker dump:\nSession ' + expiryText(sessions);
    out += `ephemeral nodes dump:\nSessions with Ephemerals (${ephemerals.length}):\n`;
    for (const [sid, paths] of ephemerals) {
      out += `${hex(BigInt(sid))}:\n`;
      for (const path of paths as string[]) out += `\t${path}\n`;
    }
    // ZooKeeper's NIO factory expires idle connections by deadline; here a connection lives as long as its session.
    const conns = new Map<number, string[]>();
    for (const conn of server.allConnections()) {
      const session = server.sessions.get(conn.sessionId);
      const time = session?.expiresAt ?? conn.connectedAt + server.options.minSessionTimeout;
      let list = conns.get(time);
      if (!list) conns.set(time, (list = []));
      list.push(`ip: /${conn.remoteAddress}:${conn.remotePort} sessionId: ${hex(conn.sessionId)}`);
    }
    return out + 'Connections dump:\nConnections ' + expiryText(conns);
  },
};

const gtmk: AdminCommand = {
  names: ['get_trace_mask', 'gtmk'],
  word: 'gtmk',
  run: (server) => ({ tracemask: server.traceMask }),
  // Java's PrintWriter.print(long): the decimal value, no newline.
  text: (d) => String(d.tracemask),
};

const stmk: AdminCommand = {
  names: ['set_trace_mask', 'stmk'],
  word: 'stmk',
  run: (server, args): JsonObject => {
    const given = args.traceMask;
    if (given === undefined) return { error: 'setTraceMask requires long traceMask argument' };
    const mask = parseJavaLong(given);
    if (mask === undefined) return { error: `setTraceMask requires long traceMask argument, got ${given}` };
    server.traceMask = mask;
    return { tracemask: mask };
  },
  text: (d) => String(d.tracemask),
};

/** Long.parseLong: optional sign, decimal digits, within 64 bits signed. */
function parseJavaLong(text: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const n = BigInt(text);
  return n >= -(1n << 63n) && n < 1n << 63n ? n : undefined;
}

/**
 * The tree digest per zxid (ZooKeeper's digest log, one entry every 128
 * zxids). Herd does not compute tree digests: ZooKeeper uses them to catch
 * divergence between ensemble members, and a standalone server has nothing to
 * compare with. Its answer is therefore ZooKeeper 3.8's with
 * zookeeper.digest.enabled=false: an empty digest log, which `hash` prints as
 * nothing and the AdminServer as `"digests" : [ ]`.
 */
const hash: AdminCommand = {
  names: ['hash'],
  word: 'hash',
  run: () => ({ digests: [] }),
  text: (d) => (d.digests as JsonObject[]).map((z) => `${BigInt(z.zxid as bigint).toString(16)}: ${String(z.digest)}\n`).join(''),
};

/** Every command, in the order /commands lists them (sorted by primary name, as ZooKeeper does). */
export const COMMANDS: readonly AdminCommand[] = [conf, crst, cons, dirs, dump, envi, gtmk, hash, isro, mntr, ruok, srvr, srst, stat, stmk, wchs, wchc, wchp].sort((a, b) =>
  a.names[0]!.localeCompare(b.names[0]!),
);

const byName = new Map<string, AdminCommand>();
const byWord = new Map<string, AdminCommand>();
for (const c of COMMANDS) {
  for (const name of c.names) byName.set(name, c);
  if (c.word) byWord.set(c.word, c);
}

/** The command with this AdminServer name or alias. */
export function commandByName(name: string): AdminCommand | undefined {
  return byName.get(name);
}

/** The command answering this four-letter word. */
export function commandByWord(word: string): AdminCommand | undefined {
  return byWord.get(word);
}

/** Runs a command for the HTTP admin server: its object plus "command" (primary name) and "error", as ZooKeeper's CommandResponse. */
export async function runCommand(server: ServerView, name: string, args: CommandArgs = NO_ARGS): Promise<JsonObject> {
  const command = commandByName(name);
  if (!command) return { command: name, error: `Unknown command: ${name}` };
  try {
    const data = await command.run(server, args);
    // A command that fails on its arguments reports it in "error", as ZooKeeper's CommandResponse.
    return { ...data, command: command.names[0]!, error: data.error ?? null };
  } catch (err) {
    return { command: command.names[0]!, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Runs a command and renders its four-letter-word text. */
export async function runFourLetterWord(server: ServerView, command: AdminCommand, args: CommandArgs = NO_ARGS): Promise<string> {
  const data = await command.run(server, args);
  return command.text ? command.text(data, server) : '';
}
