/**
 * A tables node as a child process, for the chaos test:
 * `node worker.js '<json WorkerConfig>'`. It starts a log storage node in
 * its own process (fixed data directory and port, so a restart brings the
 * same storage node back) and opens a tables node (E/W/A 3/3/2) on its own
 * client, then takes JSON commands, one a line, on stdin:
 *
 *   {"id":1,"cmd":"transfer","tid":"t1","from":"a0","to":"a1","amount":3}
 *   {"id":2,"cmd":"read","read":"linearizable"}    (or "local")
 *   {"id":3,"cmd":"status"}
 *   {"id":4,"cmd":"init","accounts":{"a0":100}}     (the accounts' first balances)
 *
 * and answers each with one line on stdout, `R <json>`: `{ id, ok: true,
 * value }` or `{ id, ok: false, error, code, message }`. `READY` is printed
 * once the node is open. A transfer reads both accounts, refuses (value
 * false, nothing written) when `from` holds less than `amount`, else moves
 * the amount and stores the row `{ id: tid, from, to, amount }` in
 * `transfers`, so the final state shows every applied transfer once.
 */
import { createInterface } from 'node:readline';
import { createClient } from '../../../src/client/index.js';
import { startLogNode } from '../../../src/log/index.js';
import { openTables, TransactionConflictError } from '../../../src/tables/index.js';

/** What the parent passes. */
export interface WorkerConfig {
  readonly coordination: string;
  readonly name: string;
  readonly identifier: string;
  readonly dataDir: string;
  readonly port: number;
  readonly sessionTimeout: number;
  /** The log's E/W/A. Default 3/3/2 (three workers). */
  readonly log?: { ensembleSize: number; writeQuorum: number; ackQuorum: number };
}

/** The tables every worker declares. */
export const CHAOS_TABLES = { accounts: { key: 'id' }, transfers: { key: 'id' } } as const;

const config = JSON.parse(process.argv[2]!) as WorkerConfig;
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const storage = await startLogNode({ coordination: config.coordination, dataDir: config.dataDir, host: '127.0.0.1', port: config.port, fsync: false, closeTimeout: 1000 });
const client = createClient(config.coordination, { sessionTimeout: config.sessionTimeout });
await client.connect();
const db = await openTables({
  client,
  name: config.name,
  identifier: config.identifier,
  tables: CHAOS_TABLES,
  log: config.log ?? { ensembleSize: 3, writeQuorum: 3, ackQuorum: 2 },
  publishInterval: 100,
  // This worker runs its own storage node (above) so a restart finds the same instance and data.
  logNode: false,
});
const started = Date.now();
const trace = (line: string): boolean => process.stderr.write(`+${Date.now() - started}ms ${line}\n`);
process.on('warning', (w) => trace(`warning ${w.message}`));
for (const event of ['nodeConnected', 'nodeDisconnected', 'quorumLost', 'quorumRegained'] as const) db.on(event, (e: unknown) => trace(`${event} ${JSON.stringify(e)}`));
say('READY');

type Command =
  | { id: number; cmd: 'transfer'; tid: string; from: string; to: string; amount: number }
  | { id: number; cmd: 'read'; read: 'local' | 'linearizable'; timeout?: number }
  | { id: number; cmd: 'status' }
  | { id: number; cmd: 'init'; accounts: Record<string, number> };

const balances = (): Record<string, number> => Object.fromEntries(db.rows('accounts').map((r) => [r.id as string, r.balance as number]));

async function run(c: Command): Promise<unknown> {
  switch (c.cmd) {
    case 'transfer': {
      const { result } = await db.transaction(
        async (tx) => {
          const from = await tx.get('accounts', c.from);
          const to = await tx.get('accounts', c.to);
          if (from === undefined || to === undefined) throw new Error(`transfer ${c.tid}: no account ${c.from} or ${c.to}`);
          if ((from.balance as number) < c.amount) return false;
          await tx.put('accounts', { ...from, balance: (from.balance as number) - c.amount });
          await tx.put('accounts', { ...to, balance: (to.balance as number) + c.amount });
          await tx.put('transfers', { id: c.tid, from: c.from, to: c.to, amount: c.amount });
          return true;
        },
        { retries: 5, timeout: 20_000 },
      );
      return result;
    }
    case 'read':
      if (c.read === 'linearizable') await db.get('accounts', 'a0', { read: 'linearizable', timeout: c.timeout ?? 20_000 });
      // rows() right after the wait, in the same turn: the whole table at one applied position.
      return balances();
    case 'init':
      await db.transaction(async (tx) => {
        for (const [id, balance] of Object.entries(c.accounts)) await tx.put('accounts', { id, balance });
      }, { timeout: 20_000 });
      return true;
    case 'status':
      return { ...db.status, accounts: db.rows('accounts'), transfers: db.rows('transfers').map((r) => r.id) };
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const c = JSON.parse(line) as Command;
  run(c).then(
    (value) => say(`R ${JSON.stringify({ id: c.id, ok: true, value })}`),
    (error: Error & { code?: string }) => {
      if (c.cmd === 'transfer' && !(error instanceof TransactionConflictError)) trace(`transfer ${c.tid}: ${error.name} ${error.message}`);
      say(`R ${JSON.stringify({ id: c.id, ok: false, error: error.name, code: error.code, conflict: error instanceof TransactionConflictError, message: String(error.message).replace(/\s+/g, ' ') })}`);
    },
  );
});
// The parent closing stdin is the end of the test: close quietly.
process.stdin.on('end', () => {
  void (async () => {
    await db.close().catch(() => {});
    await client.close().catch(() => {});
    await storage.close().catch(() => {});
    process.exit(0);
  })();
});
