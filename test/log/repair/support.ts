/**
 * Helpers of the repair and retention tests: storage nodes in a fresh
 * chroot with no auditor of their own (each test starts the auditors it
 * means to test) and reading a segment straight from one node (a
 * `herd log-node` child process: ../node/support.ts).
 */
import type { Client, ClientOptions } from '../../../src/client/index.js';
import { connectLogNode, type LogEntry, type LogNodeHandle, type LogNodeOptions } from '../../../src/log/index.js';
import { LogMetadataStore } from '../../../src/log/metadata/metadata-store.js';
import type { SegmentMetadata } from '../../../src/log/metadata/records.js';
import { connect, uniquePath, type Target } from '../../support/targets.js';
import { collect, startTestNode, tempDir } from '../node/support.js';

export interface RepairCluster extends AsyncDisposable {
  readonly coordination: string;
  readonly nodes: LogNodeHandle[];
  /** The data directory of each node, by instance id. */
  readonly dirs: Map<string, string>;
  /** A new client in the chroot. */
  client(): Promise<Client>;
  /** One client in the chroot shared by the test's checks (so polling does not open a connection per check). */
  shared(): Promise<Client>;
  /** Starts one more node (auditor off unless `options` says otherwise). */
  addNode(options?: Partial<LogNodeOptions>, dataDir?: string): Promise<LogNodeHandle>;
  /** The node with that instance id. */
  node(instanceId: string): LogNodeHandle;
  close(): Promise<void>;
}

/**
 * `count` nodes in a fresh chroot; `options` go to every node, `clientOptions` to the test's own clients
 * ({@link RepairCluster.client}, {@link RepairCluster.shared}).
 */
export async function startRepairCluster(target: Target, count: number, options: Partial<LogNodeOptions> = {}, clientOptions: ClientOptions = {}): Promise<RepairCluster> {
  const root = uniquePath('log-repair');
  const plain = await connect(target);
  await plain.mkdirp(root);
  const coordination = `${target.connectionString}${root}`;
  const nodes: LogNodeHandle[] = [];
  const dirs = new Map<string, string>();
  const addNode = async (extra: Partial<LogNodeOptions> = {}, dataDir?: string): Promise<LogNodeHandle> => {
    const dir = dataDir ?? (await tempDir('log-repair'));
    const node = await startTestNode(coordination, dir, { auditor: false, gcInterval: 0, ...options, ...extra });
    nodes.push(node);
    dirs.set(node.instanceId, dir);
    return node;
  };
  for (let i = 0; i < count; i++) await addNode();
  const close = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.close()));
  };
  let shared: Promise<Client> | undefined;
  return {
    shared: () => (shared ??= connect(target, clientOptions, coordination)),
    coordination,
    nodes,
    dirs,
    client: () => connect(target, clientOptions, coordination),
    addNode,
    node: (id) => {
      const found = nodes.find((n) => n.instanceId === id);
      if (found === undefined) throw new Error(`no node ${id}`);
      return found;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Entries `from`..`to` of a segment as one node holds them (read straight from it). */
export async function entriesOn(address: string, segmentId: number, from = 0, to?: number): Promise<LogEntry[]> {
  await using c = await connectLogNode(address);
  return await collect(c.readRange(segmentId, { fromEntry: from, ...(to !== undefined ? { toEntry: to } : {}) }));
}

/** A segment's record now. */
export async function segmentOf(client: Client, id: number): Promise<SegmentMetadata> {
  return (await new LogMetadataStore(client).readSegment(id)).value;
}
