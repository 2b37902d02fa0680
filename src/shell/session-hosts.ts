/**
 * Where each session connects from: the client address the server sees,
 * for views that name a session's holder (`locks`). Herd's server and
 * ZooKeeper both tell it in `cons`: read from an admin server when one is
 * known (the dashboard's, or `--admin-url`), else as the `cons`
 * four-letter word on each server of the connection string, which
 * ZooKeeper answers only when its whitelist (`4lw.commands.whitelist`)
 * allows it and Herd only when `fourLetterWords` includes it.
 */
import { connect as tcpConnect } from 'node:net';
import { parseConnectionString } from '../client/connection-string.js';

/** Reads one of an admin server's commands as JSON (session ids as exact decimal strings, see admin.ts). */
export type AdminReader = (command: 'cons') => Promise<Record<string, unknown>>;

/** The client address of each session a server knows, by session id (`0x...`), and where that came from. */
export interface SessionHosts {
  readonly hosts: ReadonlyMap<string, string>;
  /** `admin` (an admin server's `cons`), `cons` (the four-letter word), or `unknown` when neither answered. */
  readonly source: 'admin' | 'cons' | 'unknown';
}

/** How long one server may take to answer `cons`, in ms. */
const CONS_TIMEOUT = 3000;

const sessionHex = (id: unknown): string | undefined => {
  if (typeof id !== 'string' && typeof id !== 'number' && typeof id !== 'bigint') return undefined;
  try {
    return `0x${BigInt.asUintN(64, BigInt(id)).toString(16)}`;
  } catch {
    return undefined;
  }
};

/** The sessions of an admin server's `cons` JSON (`connections` and `secure_connections`). */
function fromAdmin(json: Record<string, unknown>, into: Map<string, string>): void {
  for (const key of ['connections', 'secure_connections']) {
    const list = json[key];
    if (!Array.isArray(list)) continue;
    for (const c of list as Record<string, unknown>[]) {
      const sid = sessionHex(c['session_id']);
      if (sid !== undefined && sid !== '0x0' && typeof c['remote_socket_address'] === 'string') into.set(sid, c['remote_socket_address'].replace(/^\//, ''));
    }
  }
}

/** The answer to a four-letter word, or undefined when the server cannot be reached in time. */
function fourLetterWord(host: string, port: number, word: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = tcpConnect({ host, port });
    const done = (text: string | undefined): void => {
      socket.destroy();
      resolve(text);
    };
    socket.setTimeout(CONS_TIMEOUT, () => done(undefined));
    socket.on('connect', () => socket.end(word));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', () => done(undefined));
  });
}

/** The sessions of a `cons` answer: ` /127.0.0.1:51442[1](queued=0,...,sid=0x100...,...)` a line. */
function fromCons(text: string, into: Map<string, string>): void {
  for (const line of text.split('\n')) {
    const m = /^\s*\/(.+?)\[\d+\]\(.*\bsid=(0x[0-9a-f]+)\b/.exec(line);
    if (m !== null) into.set(m[2]!, m[1]!);
  }
}

/**
 * The client addresses of the sessions of the servers of `connectionString`.
 * Never throws: a server that refuses or does not answer adds nothing, and
 * when none answered the source is `unknown`.
 */
export async function readSessionHosts(connectionString: string, admin?: AdminReader): Promise<SessionHosts> {
  const hosts = new Map<string, string>();
  if (admin !== undefined) {
    try {
      fromAdmin(await admin('cons'), hosts);
      return { hosts, source: 'admin' };
    } catch {
      // An admin server that does not answer: try the four-letter word.
    }
  }
  let servers: { host: string; port: number }[];
  try {
    servers = parseConnectionString(connectionString).hosts;
  } catch {
    return { hosts, source: 'unknown' };
  }
  const answers = await Promise.all(servers.map((s) => fourLetterWord(s.host, s.port, 'cons')));
  let answered = false;
  for (const text of answers) {
    // A word off the whitelist is answered "cons is not executed because it is not in the whitelist."
    if (text === undefined || text.trim() === '' || text.includes('not executed')) continue;
    answered = true;
    fromCons(text, hosts);
  }
  return { hosts, source: answered ? 'cons' : 'unknown' };
}
