/**
 * Helpers of the log writer's tests: a fresh chroot per test with three
 * in-process storage nodes registered in it, and a client for writers.
 */
import type { Client } from '../../../src/client/index.js';
import type { LogNodeHandle, LogNodeOptions, LogRecord } from '../../../src/log/index.js';
import { connect, uniquePath, type Target } from '../../support/targets.js';
import { startTestNode, tempDir } from '../node/support.js';

export interface TestCluster extends AsyncDisposable {
  /** The chroot'ed connection string every node and writer uses. */
  readonly coordination: string;
  /** The chroot itself. */
  readonly root: string;
  readonly nodes: LogNodeHandle[];
  /** A new client in the chroot (closed after the suite). */
  client(): Promise<Client>;
  /** Closes every node still open (also on `await using`). */
  close(): Promise<void>;
}

/** `count` storage nodes registered under a fresh chroot of `target` (with `nodeOptions`: `{ auditor: false }` keeps a hole a test made). */
export async function startCluster(target: Target, count = 3, nodeOptions: Partial<LogNodeOptions> = {}): Promise<TestCluster> {
  const root = uniquePath('log-writer');
  const plain = await connect(target);
  await plain.mkdirp(root);
  const coordination = `${target.connectionString}${root}`;
  const nodes = await Promise.all(Array.from({ length: count }, async () => startTestNode(coordination, await tempDir('log-writer'), nodeOptions)));
  const close = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.close()));
  };
  return { coordination, root, nodes, client: () => connect(target, {}, coordination), close, [Symbol.asyncDispose]: close };
}

/** Every record of a read, in order. */
export async function collectRecords(iterable: AsyncIterable<LogRecord>): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const r of iterable) out.push(r);
  return out;
}

/** The records' data as text. */
export function texts(records: readonly LogRecord[]): string[] {
  return records.map((r) => r.data.toString('utf8'));
}
