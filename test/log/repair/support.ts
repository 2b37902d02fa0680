/**
 * Helpers of the repair and retention tests: storage nodes in a fresh
 * chroot with no auditor of their own (each test starts the auditors it
 * means to test), a `herd log-node` child process to SIGKILL, and reading
 * a segment straight from one node.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '../../../src/client/index.js';
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

export async function startRepairCluster(target: Target, count: number, options: Partial<LogNodeOptions> = {}): Promise<RepairCluster> {
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
    shared: () => (shared ??= connect(target, {}, coordination)),
    coordination,
    nodes,
    dirs,
    client: () => connect(target, {}, coordination),
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

const CLI = join(dirname(fileURLToPath(import.meta.url)), '../../../src/cli/main.js');

/** A running `herd log-node` child. */
export interface NodeProcess {
  readonly child: ChildProcess;
  readonly instanceId: string;
  readonly address: string;
  readonly stderr: () => string;
  /** SIGKILL, resolving once it exited. */
  kill(): Promise<void>;
}

/** Starts `herd log-node` on a free port and resolves once it serves. */
export function startNodeProcess(coordination: string, dataDir: string, sessionTimeout: number): Promise<NodeProcess> {
  const args = [CLI, 'log-node', '--coordination', coordination, '--data-dir', dataDir, '--host', '127.0.0.1', '--port', '0', '--session-timeout', String(sessionTimeout)];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const kill = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`log-node did not start within 20 s: ${err}`));
    }, 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /serving (\S+) as instance (\S+)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, address: m[1]!, instanceId: m[2]!, stderr: () => err, kill });
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`log-node exited (${code ?? signal}) before serving: ${err}`));
    });
  });
}
