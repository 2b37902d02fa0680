/**
 * Helpers shared by the admin tests: the same traffic against any server,
 * and parsers for four-letter-word text and Prometheus text written the way
 * monitoring scripts (zktop, check_zookeeper, exporters) read them.
 */
import { connect } from 'node:net';
import { createClient, type Client } from '../../../src/client/index.js';

export { fourLetterWord } from '../../support/zookeeper.js';

/**
 * A session with known watches and an ephemeral: data watches on /admin-a
 * (getData) and /admin-missing (exists), a child watch on /, an ephemeral
 * /admin-e. Returns the connected client.
 */
export async function makeTraffic(connectionString: string): Promise<Client> {
  const client = createClient(connectionString, { sessionTimeout: 30_000 });
  await client.connect();
  await client.create('/admin-a', Buffer.from('x'));
  await client.create('/admin-e', Buffer.from('x'), { mode: 'ephemeral' });
  await client.setData('/admin-a', Buffer.from('xy'));
  await client.getData('/admin-a', { watch: () => {} });
  await client.exists('/admin-missing', { watch: () => {} });
  await client.getChildren('/', { watch: () => {} });
  return client;
}

/** Lines of a 4lw answer without the final newline's empty string. */
export function lines(text: string): string[] {
  const out = text.split('\n');
  if (out[out.length - 1] === '') out.pop();
  return out;
}

/** mntr keys (without `zk_`) that Herd and ZooKeeper 3.8 standalone both print. */
export const MNTR_KEYS = [
  'version',
  'avg_latency',
  'max_latency',
  'min_latency',
  'packets_received',
  'packets_sent',
  'num_alive_connections',
  'outstanding_requests',
  'server_state',
  'znode_count',
  'watch_count',
  'ephemerals_count',
  'approximate_data_size',
  'open_file_descriptor_count',
  'max_file_descriptor_count',
];

/** mntr as a map, as monitoring agents read it: `zk_<key>\t<value>` per line. */
export function parseMntr(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of lines(text)) {
    const m = /^zk_([^\t]+)\t(.*)$/.exec(line);
    if (!m) throw new Error(`not a mntr line: ${JSON.stringify(line)}`);
    out.set(m[1]!, m[2]!);
  }
  return out;
}

/** srvr (or the tail of stat) as zktop reads it: "Key: value" lines. */
export function parseSrvr(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of lines(text)) {
    const i = line.indexOf(': ');
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 2));
  }
  return out;
}

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text exposition format (0.0.4): HELP/TYPE comments and `name{labels} value` samples. */
export function parsePrometheus(text: string): { samples: PromSample[]; types: Map<string, string> } {
  const samples: PromSample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
      if (!m) throw new Error(`bad comment line: ${line}`);
      if (m[1] === 'TYPE') types.set(m[2]!, m[3]!);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? ([^ ]+)( \d+)?$/.exec(line);
    if (!m) throw new Error(`bad sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (m[3] ?? '').match(/[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"/g) ?? []) {
      const eq = pair.indexOf('=');
      labels[pair.slice(0, eq)] = JSON.parse(pair.slice(eq + 1)) as string;
    }
    // Prometheus parses values with Go's ParseFloat: NaN and Inf in any case (prom-client writes "Nan").
    const raw = m[4]!.toLowerCase();
    const value = raw === '+inf' || raw === 'inf' ? Infinity : raw === '-inf' ? -Infinity : raw === 'nan' ? NaN : Number(raw);
    if (Number.isNaN(value) && raw !== 'nan') throw new Error(`bad value in: ${line}`);
    samples.push({ name: m[1]!, labels, value });
  }
  return { samples, types };
}

/** The value of the one sample with this name and labels. */
export function sample(samples: PromSample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

/**
 * Sends raw bytes in parts (a pause between them, so the server sees them
 * arrive separately) and returns everything the server writes until it closes
 * the connection. For words with an argument after them, as stmk's mask.
 */
export function rawWord(port: number, parts: readonly Buffer[], pauseMs = 50, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', async () => {
      for (const [i, part] of parts.entries()) {
        if (i > 0) await new Promise((r) => setTimeout(r, pauseMs));
        if (!socket.destroyed) socket.write(part);
      }
    });
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/** `stmk` and its mask as a Java long, big-endian. */
export function stmkBytes(mask: bigint): Buffer {
  const b = Buffer.alloc(12);
  b.write('stmk', 0, 'latin1');
  b.writeBigInt64BE(mask, 4);
  return b;
}
