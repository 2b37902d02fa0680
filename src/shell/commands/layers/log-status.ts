/**
 * The log views' reading (src/log/status.ts), loaded when a log view runs
 * so that `herd shell` starts without the log layer.
 */
import { connect as tcpConnect } from 'node:net';
import { joinPath } from '../../../base/path.js';
import type { Client } from '../../../client/index.js';
import type { LogStatus, LogSummary } from '../../../log/status.js';
import type { CookieRecord, NodeRecord } from '../../../log/node/registration.js';
import { unlessGone } from '../../absent.js';

export type { LogStatus, LogSummary, SegmentStatus } from '../../../log/status.js';

/** See src/log/status.ts `listLogs`. */
export async function listLogs(client: Client): Promise<{ logs: LogSummary[]; nodes: NodeRecord[] }> {
  return (await import('../../../log/status.js')).listLogs(client);
}

/** See src/log/status.ts `readLogStatus`; throws NoSuchLogError when there is no log `name`. */
export async function readLogStatus(client: Client, name: string): Promise<LogStatus> {
  return (await import('../../../log/status.js')).readLogStatus(client, name);
}

/** A storage node as the `log nodes` view shows it: registered now, or known by its address's cookie. */
export interface StorageNodeView {
  readonly instanceId: string;
  /** `host:port`: the registration's address, else the cookie's. */
  readonly address: string;
  /** Its ephemeral registration exists (its session with the coordination service lives). */
  readonly registered: boolean;
  /** It accepted a TCP connection just now; null when not registered (not tried). */
  readonly reachable: boolean | null;
  /** `up`: registered and reachable; `unreachable`: registered, refusing connections; `down`: not registered. */
  readonly state: 'up' | 'unreachable' | 'down';
  /** Protocol version and start time, from the registration (null when down). */
  readonly version: number | null;
  readonly startedAt: number | null;
}

/** How long a node may take to accept a connection, in ms. */
const PROBE_TIMEOUT = 1000;

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(PROBE_TIMEOUT, () => done(false));
    socket.on('connect', () => done(true));
    socket.on('error', () => done(false));
  });
}

/** Each child's JSON data under `path` (none when `path` is missing; children gone meanwhile left out). */
async function childRecords<T>(client: Client, path: string): Promise<[string, T][]> {
  const names = await unlessGone(client.getChildren(path), [] as string[]);
  const records = await Promise.all(
    names.map(async (name): Promise<[string, T] | undefined> => {
      const read = await unlessGone(client.getData(joinPath(path, name)), undefined);
      if (read?.data == null) return undefined;
      try {
        return [name, JSON.parse(read.data.toString('utf8')) as T];
      } catch {
        return undefined;
      }
    }),
  );
  return records.filter((r): r is [string, T] => r !== undefined);
}

/**
 * The storage nodes: every registered node (probed with a TCP connection),
 * and every instance an address's cookie still names that is not
 * registered (down). Sorted by address.
 */
export async function listStorageNodes(client: Client): Promise<StorageNodeView[]> {
  const { COOKIES_PATH, NODES_PATH } = await import('../../../log/metadata/layout.js');
  const [registered, cookies] = await Promise.all([
    childRecords<NodeRecord>(client, NODES_PATH),
    childRecords<CookieRecord>(client, COOKIES_PATH),
  ]);
  const live = new Set(registered.map(([, n]) => n.instanceId));
  const up = await Promise.all(
    registered.map(async ([, n]): Promise<StorageNodeView> => {
      const ok = await reachable(n.host, n.port);
      return { instanceId: n.instanceId, address: `${n.host}:${n.port}`, registered: true, reachable: ok, state: ok ? 'up' : 'unreachable', version: n.version, startedAt: n.startedAt };
    }),
  );
  const down = cookies
    .filter(([, c]) => !live.has(c.instanceId))
    .map(([address, c]): StorageNodeView => ({ instanceId: c.instanceId, address, registered: false, reachable: null, state: 'down', version: null, startedAt: null }));
  return [...up, ...down].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}
