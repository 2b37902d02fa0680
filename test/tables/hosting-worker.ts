/**
 * A tables node as a child process for the hosting tests:
 * `node hosting-worker.js '<json HostingWorkerConfig>'`. It opens a tables
 * node with the default deployment: a log storage node hosted in its own
 * process, no external storage node. Prints `READY` once open (or
 * `FAILED <json>` and exits 1), then takes JSON commands, one a line:
 *
 *   {"id":1,"cmd":"transfer","from":"a","to":"b","amount":3}
 *   {"id":2,"cmd":"init","accounts":{"a":100}}
 *   {"id":3,"cmd":"read"}                        (linearizable; the balances and the primary)
 *   {"id":4,"cmd":"primary"}                     (the primary this node sees now, or null)
 *
 * answering each with `R <json>`: `{ id, ok: true, value }` or `{ id, ok: false, code, message }`.
 * Closing stdin closes the node.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createClient } from '../../src/client/index.js';
import { openTables, type OpenTablesOptions } from '../../src/tables/index.js';

export interface HostingWorkerConfig {
  readonly coordination: string;
  readonly name: string;
  readonly identifier: string;
  readonly dataDir: string;
  readonly logNodePort: number;
  readonly sessionTimeout: number;
  readonly members: Record<string, number>;
  /** TLS from the test's certificates directory (test/support/tls-certs.ts): the server pair and this CA's certificate. */
  readonly tls?: { readonly dir: string; readonly ca: string };
}

const config = JSON.parse(process.argv[2]!) as HostingWorkerConfig;
const say = (line: string): boolean => process.stdout.write(`${line}\n`);
const errorJson = (e: Error & { code?: string }): string => JSON.stringify({ code: e.code, name: e.name, message: e.message.replace(/\s+/g, ' ') });

const client = createClient(config.coordination, { sessionTimeout: config.sessionTimeout });
await client.connect();
const file = (name: string): Promise<Buffer> => readFile(join(config.tls!.dir, name));
const tls: OpenTablesOptions['tls'] = config.tls && { key: await file('server.key'), cert: await file('server.crt'), ca: await file(config.tls.ca) };
let db: Awaited<ReturnType<typeof openTables>>;
try {
  db = await openTables({
    client,
    name: config.name,
    identifier: config.identifier,
    members: config.members,
    tables: { accounts: { key: 'id' } },
    dataDir: config.dataDir,
    logNode: { port: config.logNodePort, fsync: false },
    ...(tls ? { tls } : {}),
    publishInterval: 100,
    rejoinTimeout: 30_000,
  });
} catch (error) {
  say(`FAILED ${errorJson(error as Error)}`);
  await client.close();
  process.exit(1);
}
say('READY');
const started = Date.now();
process.on('warning', (w) => process.stderr.write(`+${Date.now() - started}ms ${w.message}\n`));
for (const event of ['nodeConnected', 'nodeDisconnected', 'quorumLost', 'quorumRegained'] as const) {
  db.on(event, (e: unknown) => process.stderr.write(`+${Date.now() - started}ms ${event} ${JSON.stringify(e)}\n`));
}

type Command =
  | { id: number; cmd: 'transfer'; from: string; to: string; amount: number }
  | { id: number; cmd: 'init'; accounts: Record<string, number> }
  | { id: number; cmd: 'read' }
  | { id: number; cmd: 'primary' };

async function run(c: Command): Promise<unknown> {
  const options = { timeout: 25_000 };
  switch (c.cmd) {
    case 'init':
      await db.transaction(async (tx) => {
        for (const [id, balance] of Object.entries(c.accounts)) await tx.put('accounts', { id, balance });
      }, options);
      return true;
    case 'transfer':
      await db.transaction(async (tx) => {
        const from = (await tx.get('accounts', c.from))!;
        const to = (await tx.get('accounts', c.to))!;
        await tx.put('accounts', { ...from, balance: (from.balance as number) - c.amount });
        await tx.put('accounts', { ...to, balance: (to.balance as number) + c.amount });
      }, { ...options, retries: 10 });
      return true;
    case 'primary':
      return db.status.primary;
    case 'read':
      await db.get('accounts', 'a', { read: 'linearizable', ...options });
      return { balances: Object.fromEntries(db.rows('accounts').map((r) => [r.id, r.balance])), primary: db.status.primary };
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const c = JSON.parse(line) as Command;
  run(c).then(
    (value) => say(`R ${JSON.stringify({ id: c.id, ok: true, value })}`),
    (error: Error & { code?: string }) => say(`R ${JSON.stringify({ id: c.id, ok: false, ...JSON.parse(errorJson(error)) })}`),
  );
});
process.stdin.on('end', () => {
  void (async () => {
    await db.close().catch(() => {});
    await client.close().catch(() => {});
    process.exit(0);
  })();
});
