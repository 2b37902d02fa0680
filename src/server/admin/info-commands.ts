import { hostname, arch, release, type as osType, tmpdir, userInfo, homedir } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import type { ServerView } from '../server-view.js';
import { FULL_VERSION, type AdminCommand, type JsonObject } from './command.js';
import { dirSize, expiryText, hex, parseJavaLong } from './command-format.js';

/** The admin commands that read configuration and state: ruok, isro, conf, envi, dirs, wchs, wchc, wchp, dump, gtmk, stmk, hash. */

export const ruok: AdminCommand = {
  names: ['ruok'],
  word: 'ruok',
  run: () => ({}),
  text: () => 'imok',
};

export const isro: AdminCommand = {
  names: ['is_read_only', 'isro'],
  word: 'isro',
  run: () => ({ read_only: false }),
  text: (data) => (data.read_only === true ? 'ro' : 'rw'),
};

function maxClientConnections(server: ServerView): number {
  return server.options.maxClientConnections;
}

function securePort(server: ServerView): number {
  return server.securePort ?? -1;
}

export const conf: AdminCommand = {
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

export const envi: AdminCommand = {
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

export const dirs: AdminCommand = {
  names: ['dirs'],
  word: 'dirs',
  run: async (server) => {
    const size = await dirSize(server.options.dataDir);
    return { datadir_size: size, logdir_size: size };
  },
  text: (d) => `datadir_size: ${String(d.datadir_size)}\nlogdir_size: ${String(d.logdir_size)}\n`,
};

export const wchs: AdminCommand = {
  names: ['watch_summary', 'wchs'],
  word: 'wchs',
  run: (server) => ({
    num_connections: server.watches.sessionCount(),
    num_paths: server.watches.pathCount(),
    num_total_watches: server.watches.watchCount(),
  }),
  text: (d) => `${String(d.num_connections)} connections watching ${String(d.num_paths)} paths\nTotal watches:${String(d.num_total_watches)}\n`,
};

export const wchc: AdminCommand = {
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

export const wchp: AdminCommand = {
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

export const dump: AdminCommand = {
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

export const gtmk: AdminCommand = {
  names: ['get_trace_mask', 'gtmk'],
  word: 'gtmk',
  run: (server) => ({ tracemask: server.traceMask }),
  // Java's PrintWriter.print(long): the decimal value, no newline.
  text: (d) => String(d.tracemask),
};

export const stmk: AdminCommand = {
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

/**
 * The tree digest per zxid (ZooKeeper's digest log, one entry every 128
 * zxids). Herd does not compute tree digests: ZooKeeper uses them to catch
 * divergence between ensemble members, and a standalone server has nothing to
 * compare with. Its answer is therefore ZooKeeper 3.8's with
 * zookeeper.digest.enabled=false: an empty digest log, which `hash` prints as
 * nothing and the AdminServer as `"digests" : [ ]`.
 */
export const hash: AdminCommand = {
  names: ['hash'],
  word: 'hash',
  run: () => ({ digests: [] }),
  text: (d) => (d.digests as JsonObject[]).map((z) => `${BigInt(z.zxid as bigint).toString(16)}: ${String(z.digest)}\n`).join(''),
};

