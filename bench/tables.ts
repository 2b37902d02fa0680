/**
 * The tables suite of `npm run bench -- --only tables` (issue 14's
 * benchmark): Herd tables (src/tables) against anchors measured in the same
 * run, all in this process so nothing but the work measured differs:
 *
 * - local reads (`db.local.get(table, key)`, synchronous; the awaited
 *   `db.get(..., { read: 'local' })` in a note) against a plain `Map`
 *   lookup of the same row objects;
 * - single-node transactions (Herd's embedded server with fsync on, one
 *   in-process log storage node with fsync on, E/W/A 1/1/1) against SQLite
 *   through better-sqlite3 (`journal_mode=WAL`, `synchronous=FULL`, a file
 *   in the same temp directory, so the same disk), both doing the same
 *   read-modify-write of one random row of 1000;
 * - three-node transactions (three tables nodes in this process on one
 *   Herd server, three in-process storage nodes, 3/3/2), submitted on the
 *   primary and on a non-primary, against the single-node figures;
 *   rqlite's published figures are quoted as text, not measured.
 *
 * SQLite has one writer at a time, and better-sqlite3 runs a statement
 * synchronously on the caller's thread. Its "16 concurrent" case is 16 async
 * callers sharing one connection: each yields to the event loop
 * (setImmediate), then runs its whole transaction synchronously; a caller's
 * latency runs from before its yield to its commit, so it includes the wait
 * behind the other callers' transactions, as a queue in front of one writer
 * would. Every commit is its own fsync (no group commit across callers).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createClient, type Client } from '../src/client/index.js';
import { startLogNode, type LogNodeHandle } from '../src/log/index.js';
import { openTables, type Tables } from '../src/tables/index.js';
import { TestingServer } from '../src/testing/index.js';
import { log, Samples, sleep, type Row, type Section } from './stats.js';

/** Lengths of the tables suite. */
export interface TablesBenchOptions {
  /** Measured time of each transaction figure, ms. */
  duration: number;
  /** Time run before each transaction figure is measured, ms. */
  warmup: number;
  /** Interleaved rounds of each figure; the best round of each is kept. */
  rounds: number;
  /** Measured time of each read figure, ms. */
  readDuration: number;
}

export const DEFAULT_TABLES_BENCH: TablesBenchOptions = { duration: 3000, warmup: 500, rounds: 2, readDuration: 1000 };

/** A run of a few seconds that prints every row (CI's smoke test); its figures mean nothing. */
export const SMOKE_TABLES_BENCH: TablesBenchOptions = { duration: 300, warmup: 50, rounds: 1, readDuration: 100 };

const ACCOUNTS = 1000;
const ITEMS = 10_000;
const CONCURRENCY = [1, 16] as const;
const DEFINITIONS = { accounts: { key: 'id' }, items: { key: 'sku', indexes: ['category'] } } as const;

/** What a closed-loop run measured. */
interface TxFigures {
  perSec: number;
  p50: number;
  p99: number;
  /** Conflicts retried per committed transaction (Herd only). */
  conflictRate: number;
}

const better = (a: TxFigures | undefined, b: TxFigures): TxFigures => (a === undefined || b.perSec > a.perSec ? b : a);

/**
 * `concurrency` loops each running `op` back to back for warm-up + duration;
 * counts the ops that started after the warm-up and finished before the end.
 */
async function closedLoop(concurrency: number, o: TablesBenchOptions, op: () => Promise<number>): Promise<TxFigures> {
  const samples = new Samples();
  const start = performance.now();
  const measureFrom = start + o.warmup;
  const end = measureFrom + o.duration;
  let attempts = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const t0 = performance.now();
      const tries = await op();
      const t1 = performance.now();
      if (t0 >= measureFrom && t1 <= end) {
        samples.add(t1 - t0);
        attempts += tries;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const { p50, p99 } = samples.summary();
  return { perSec: samples.length / (o.duration / 1000), p50, p99, conflictRate: samples.length === 0 ? NaN : attempts / samples.length - 1 };
}

const randomAccount = (): number => Math.floor(Math.random() * ACCOUNTS);

/** One read-modify-write of a random account; resolves with the attempts it took (1 + conflicts). */
async function herdTransfer(db: Tables): Promise<number> {
  let tries = 0;
  const id = randomAccount();
  await db.transaction(
    async (tx) => {
      tries++;
      const row = (await tx.get('accounts', id)) as { id: number; balance: number };
      await tx.put('accounts', { ...row, balance: row.balance + 1 });
    },
    { retries: 100 },
  );
  return tries;
}

/** Writes the accounts on `dbs[0]` and waits until every node has applied them. */
async function fill(dbs: readonly Tables[]): Promise<void> {
  for (let from = 0; from < ACCOUNTS; from += 500) {
    const { position } = await dbs[0]!.transaction(async (tx) => {
      for (let id = from; id < Math.min(ACCOUNTS, from + 500); id++) await tx.put('accounts', { id, balance: 1000 });
    });
    await Promise.all(dbs.map((db) => db.waitForPosition(position, { timeout: 60_000 })));
  }
}

// ---- SQLite ---------------------------------------------------------------------------------

/** The part of better-sqlite3's API this suite uses (it ships no types; @types would be one more dependency for five calls). */
interface SqliteDatabase {
  pragma(source: string): unknown;
  exec(source: string): void;
  prepare(source: string): { get(...params: unknown[]): unknown; run(...params: unknown[]): unknown };
  transaction<A extends unknown[]>(fn: (...args: A) => void): { immediate(...args: A): void };
  close(): void;
}
type SqliteConstructor = new (file: string) => SqliteDatabase;

interface Sqlite {
  transfer(): Promise<number>;
  close(): Promise<void>;
}

async function openSqlite(): Promise<Sqlite> {
  const dir = await mkdtemp(join(tmpdir(), 'herd-bench-sqlite-'));
  const Database = createRequire(import.meta.url)('better-sqlite3') as SqliteConstructor;
  const db = new Database(join(dir, 'bench.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)');
  const insert = db.prepare('INSERT INTO accounts (id, balance) VALUES (?, ?)');
  db.transaction(() => {
    for (let id = 0; id < ACCOUNTS; id++) insert.run(id, 1000);
  }).immediate();
  const select = db.prepare('SELECT balance FROM accounts WHERE id = ?');
  const update = db.prepare('UPDATE accounts SET balance = ? WHERE id = ?');
  const rmw = db.transaction((id: number) => {
    const row = select.get(id) as { balance: number };
    update.run(row.balance + 1, id);
  });
  return {
    transfer: async () => {
      // The turn of the event loop a caller waits for the single connection (see the file's header).
      await new Promise((r) => setImmediate(r));
      rmw.immediate(randomAccount());
      return 1;
    },
    close: async () => {
      db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// ---- local reads ----------------------------------------------------------------------------

interface ReadFigures {
  /** db.local.get, synchronous. */
  tables: number;
  map: number;
  /** db.get(..., { read: 'local' }), one awaited promise per read. */
  awaited: number;
}

/** Reads/s of `read` over `keys`, in chunks until `duration` ms have passed. */
async function readRate(keys: readonly string[], duration: number, read: (key: string) => unknown): Promise<number> {
  let n = 0;
  let hits = 0;
  const start = performance.now();
  while (performance.now() - start < duration) {
    for (const key of keys) if ((await read(key)) !== undefined) hits++;
    n += keys.length;
  }
  const elapsed = performance.now() - start;
  // A lookup that found nothing would measure the wrong path.
  if (hits !== n) throw new Error(`tables bench: ${n - hits} of ${n} reads found no row`);
  return n / (elapsed / 1000);
}

/**
 * The sync loops cannot share readRate's await without paying for it, which is the very cost measured, nor one
 * loop over a callback: a call site that sees both targets would slow the Map baseline too. So one loop each.
 */
function mapReadRate(keys: readonly string[], duration: number, map: Map<string, unknown>): number {
  let n = 0;
  let hits = 0;
  const start = performance.now();
  while (performance.now() - start < duration) {
    for (const key of keys) if (map.get(key) !== undefined) hits++;
    n += keys.length;
  }
  const elapsed = performance.now() - start;
  if (hits !== n) throw new Error(`tables bench: ${n - hits} of ${n} Map lookups found no row`);
  return n / (elapsed / 1000);
}

function localReadRate(keys: readonly string[], duration: number, db: Tables): number {
  const local = db.local;
  let n = 0;
  let hits = 0;
  const start = performance.now();
  while (performance.now() - start < duration) {
    for (const key of keys) if (local.get('items', key) !== undefined) hits++;
    n += keys.length;
  }
  const elapsed = performance.now() - start;
  if (hits !== n) throw new Error(`tables bench: ${n - hits} of ${n} local reads found no row`);
  return n / (elapsed / 1000);
}

async function localReads(db: Tables, o: TablesBenchOptions): Promise<ReadFigures> {
  for (let from = 0; from < ITEMS; from += 1000) {
    await db.transaction(async (tx) => {
      for (let i = from; i < from + 1000; i++) await tx.put('items', { sku: `SKU-${i}`, qty: i % 50, category: `c${i % 20}` });
    });
  }
  const keys = Array.from({ length: ITEMS }, (_, i) => `SKU-${(i * 7919) % ITEMS}`);
  const map = new Map<string, unknown>();
  for (const key of keys) map.set(key, db.local.get('items', key));
  const local = { read: 'local' } as const;
  const figures: ReadFigures = { tables: 0, map: 0, awaited: 0 };
  for (let round = 0; round < o.rounds; round++) {
    figures.map = Math.max(figures.map, mapReadRate(keys, o.readDuration, map));
    figures.tables = Math.max(figures.tables, localReadRate(keys, o.readDuration, db));
    figures.awaited = Math.max(figures.awaited, await readRate(keys, o.readDuration, (k) => db.get('items', k, local)));
  }
  return figures;
}

// ---- environments ---------------------------------------------------------------------------

interface Env {
  readonly dbs: Tables[];
  close(): Promise<void>;
}

/** A chroot on `server` with `storage` log nodes and `nodes` tables nodes (E/W/A = storage/storage/quorum). */
async function openEnv(server: TestingServer, chroot: string, storage: number, nodes: number, ackQuorum: number): Promise<Env> {
  const admin = createClient(server.connectionString);
  await admin.connect();
  await admin.mkdirp(chroot);
  await admin.close();
  const coordination = `${server.connectionString}${chroot}`;
  const stores: { node: LogNodeHandle; dir: string }[] = [];
  const clients: Client[] = [];
  const dbs: Tables[] = [];
  const close = async (): Promise<void> => {
    for (const db of dbs) await db.close().catch(() => {});
    for (const c of clients) await c.close().catch(() => {});
    for (const s of stores) {
      await s.node.close().catch(() => {});
      await rm(s.dir, { recursive: true, force: true });
    }
  };
  try {
    for (let i = 0; i < storage; i++) {
      const dir = await mkdtemp(join(tmpdir(), 'herd-bench-tables-node-'));
      // fsync is the storage node's default; said here because the comparison depends on it.
      stores.push({ node: await startLogNode({ coordination, dataDir: dir, host: '127.0.0.1', port: 0, fsync: true }), dir });
    }
    for (let i = 0; i < nodes; i++) {
      const client = createClient(coordination, { sessionTimeout: 30_000 });
      clients.push(client);
      await client.connect();
      const log = { ensembleSize: storage, writeQuorum: storage, ackQuorum };
      dbs.push(await openTables({ client, name: 'bench', identifier: `node0${i + 1}`, tables: DEFINITIONS, log, logNode: false }));
    }
    // Every node must know the primary before a transaction is timed, or the first ones time the election.
    for (let i = 0; dbs.some((db) => db.status.primary === null); i++) {
      if (i > 600) throw new Error('tables bench: no primary after 60 s');
      await sleep(100);
    }
    return { dbs, close };
  } catch (error) {
    await close();
    throw error;
  }
}

// ---- the suite ------------------------------------------------------------------------------

function txRows(label: string, h: TxFigures, b: TxFigures, target?: number): Row[] {
  return [
    { metric: `${label}: transactions/s`, candidate: h.perSec, baseline: b.perSec, unit: 'tx/s', better: 'higher', ...(target !== undefined ? { target } : {}) },
    { metric: `${label}: commit p50`, candidate: h.p50, baseline: b.p50, unit: 'ms', better: 'lower' },
    { metric: `${label}: commit p99`, candidate: h.p99, baseline: b.p99, unit: 'ms', better: 'lower' },
  ];
}

const conflictNote = (name: string, m: Map<number, TxFigures>): string =>
  `${name} conflicts retried per commit: ${CONCURRENCY.map((c) => `${c} concurrent ${m.get(c)!.conflictRate.toFixed(3)}`).join(', ')}`;

/** Starts everything the suite needs, measures, stops it all, and returns the sections. */
export async function tablesBenchSections(o: TablesBenchOptions = DEFAULT_TABLES_BENCH): Promise<Section[]> {
  const server = await TestingServer.start({ forceSync: true });
  try {
    const herd1 = new Map<number, TxFigures>();
    const sqlite = new Map<number, TxFigures>();
    let reads: ReadFigures;
    {
      const env = await openEnv(server, '/bench-single', 1, 1, 1);
      const lite = await openSqlite();
      try {
        const db = env.dbs[0]!;
        log('tables: local reads');
        reads = await localReads(db, o);
        await fill([db]);
        for (const c of CONCURRENCY) {
          log(`tables: single node, ${c} concurrent`);
          // Alternating rounds put drift in the disk's speed and other work on the machine on both alike.
          for (let round = 0; round < o.rounds; round++) {
            herd1.set(c, better(herd1.get(c), await closedLoop(c, o, () => herdTransfer(db))));
            sqlite.set(c, better(sqlite.get(c), await closedLoop(c, o, () => lite.transfer())));
          }
        }
      } finally {
        await lite.close();
        await env.close();
      }
    }
    const onPrimary = new Map<number, TxFigures>();
    const onOther = new Map<number, TxFigures>();
    {
      const env = await openEnv(server, '/bench-three', 3, 3, 2);
      try {
        const primary = env.dbs.find((db) => db.identifier === db.status.primary);
        if (primary === undefined) throw new Error('tables bench: the nodes disagree on the primary');
        const other = env.dbs.find((db) => db !== primary)!;
        await fill([primary, ...env.dbs.filter((db) => db !== primary)]);
        for (const c of CONCURRENCY) {
          log(`tables: three nodes, ${c} concurrent`);
          for (let round = 0; round < o.rounds; round++) {
            onPrimary.set(c, better(onPrimary.get(c), await closedLoop(c, o, () => herdTransfer(primary))));
            onOther.set(c, better(onOther.get(c), await closedLoop(c, o, () => herdTransfer(other))));
          }
        }
      } finally {
        await env.close();
      }
    }

    const shape = `read-modify-write of one random row of ${ACCOUNTS}; ${o.warmup} ms warm-up, ${o.duration} ms measured per figure, best of ${o.rounds} interleaved rounds; temp dirs on ${tmpdir()}`;
    return [
      {
        title: 'Tables local reads: db.local.get(table, key) (synchronous) vs a plain Map lookup of the same row objects',
        candidateName: 'Herd tables',
        baselineName: 'Map.get',
        rows: [{ metric: 'local reads/s', candidate: reads.tables, baseline: reads.map, unit: 'reads/s', better: 'higher', target: 0.5 }],
        notes: [
          `${ITEMS} rows, keys read in a fixed shuffled order, one read at a time; ${o.readDuration} ms per figure, best of ${o.rounds}`,
          'target 0.5x (issue 14: within 2x of a Map lookup)',
          `db.get(table, key, { read: 'local' }), each awaited (a promise per read): ${Math.round(reads.awaited).toLocaleString('en-US')} reads/s, ${(reads.awaited / reads.map).toFixed(2)}x of Map.get`,
        ],
      },
      {
        title: 'Tables transactions, one node (embedded server + one storage node, E/W/A 1/1/1, fsync on) vs SQLite (better-sqlite3, WAL, synchronous=FULL)',
        candidateName: 'Herd tables',
        baselineName: 'SQLite',
        rows: CONCURRENCY.flatMap((c) => txRows(`${c} concurrent`, herd1.get(c)!, sqlite.get(c)!, c === 16 ? 1 : undefined)),
        notes: [
          shape,
          'target 1x at 16 concurrent (issue 14: group commit)',
          'SQLite at 16 concurrent: 16 async callers share one connection; each yields one event-loop turn, then runs BEGIN IMMEDIATE; SELECT; UPDATE; COMMIT synchronously; its latency includes the wait behind the others (one writer, one fsync per commit)',
          conflictNote('Herd', herd1),
        ],
      },
      {
        title: 'Tables transactions, three nodes in one process (one Herd server, three storage nodes, E/W/A 3/3/2) vs the one-node figures above',
        candidateName: 'Herd 3 nodes',
        baselineName: 'Herd 1 node',
        rows: CONCURRENCY.flatMap((c) => [
          ...txRows(`on the primary, ${c} concurrent`, onPrimary.get(c)!, herd1.get(c)!),
          ...txRows(`on a non-primary, ${c} concurrent`, onOther.get(c)!, herd1.get(c)!),
        ]),
        notes: [
          shape,
          'a non-primary forwards each transaction to the primary over Herd rpc and resolves once it has applied the entry itself',
          conflictNote('on the primary', onPrimary),
          conflictNote('on a non-primary', onOther),
          'rqlite, quoted, not measured: "individual INSERT performance could be anything from 10 operations per second to more than 200 operations per second", and batching through the bulk API or transactions raises throughput "often by 2 orders of magnitude" (https://rqlite.io/docs/guides/performance/, the rqlite 8 docs)',
        ],
      },
    ];
  } finally {
    await server.close();
  }
}
