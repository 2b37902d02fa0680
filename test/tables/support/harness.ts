/**
 * The tables tests' harness: a fresh chroot with in-process log storage
 * nodes, and tables nodes opened in it, each on its own client. The
 * child-process chaos tests of the next slice start nodes the same way from
 * a worker script (the seam: `openNode` takes everything a child needs as
 * plain options).
 */
import type { Client } from '../../../src/client/index.js';
import type { LogNodeHandle } from '../../../src/log/index.js';
import { openTables, type OpenTablesOptions, type Tables } from '../../../src/tables/index.js';
import { connect, uniquePath, type Target } from '../../support/targets.js';
import { startTestNode, tempDir } from '../../log/node/support.js';

export const DEFINITIONS = {
  items: { key: 'sku', indexes: ['category'], maxRowBytes: 512 },
  accounts: { key: 'id' },
} as const;

export interface TablesEnv extends AsyncDisposable {
  readonly coordination: string;
  readonly storage: LogNodeHandle[];
  /** Opens a tables node on a new client in the chroot (closed with the env). */
  openNode(identifier: string, options?: Partial<OpenTablesOptions>): Promise<Tables>;
  /** A new client in the chroot. */
  client(): Promise<Client>;
  close(): Promise<void>;
}

/** A chroot of `target` with `storageNodes` log nodes (E/W/A = storageNodes each). */
export async function startTablesEnv(target: Target, name: string, storageNodes = 1): Promise<TablesEnv> {
  const root = uniquePath(`tables-${name}`);
  const plain = await connect(target);
  await plain.mkdirp(root);
  const coordination = `${target.connectionString}${root}`;
  const storage = await Promise.all(Array.from({ length: storageNodes }, async () => startTestNode(coordination, await tempDir('tables'))));
  const opened: Tables[] = [];
  const q = storageNodes;
  const close = async (): Promise<void> => {
    await Promise.all(opened.map((t) => t.close().catch(() => {})));
    await Promise.all(storage.map((n) => n.close()));
  };
  return {
    coordination,
    storage,
    client: () => connect(target, {}, coordination),
    async openNode(identifier, options = {}) {
      const client = await connect(target, {}, coordination);
      const db = await openTables({
        client,
        name,
        identifier,
        tables: DEFINITIONS,
        log: { ensembleSize: q, writeQuorum: q, ackQuorum: q },
        publishInterval: 100,
        // The harness starts the storage nodes itself (`storage`); tests of hosted nodes are hosting*.test.ts.
        logNode: false,
        ...options,
      });
      opened.push(db);
      return db;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
