// One shop of the inventory: a full copy of the `inventory` tables on this
// process, shared with the other shops through Herd's log. It sells one
// unit of a random item every 20 ms (a transaction from any node: qty - 1,
// sold + 1, and a row in `sales` with the sale's id, retried on conflict),
// appends the id of every sale the tables acknowledged to sales.log in its
// dataDir (which outlives a SIGKILL), and prints what happens to the cluster.
//
//   node node.js <identifier> <coordination> <dataDir>
//
// SIGUSR2: stop selling. SIGHUP: read the committed tail (linearizable) and
// print the copy, checked against every shop's sales.log. SIGTERM: close.
import { appendFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createClient } from 'herd-zk';
import { openTables, retry } from 'herd-zk/tables';

const [me, coordination, dataDir] = process.argv.slice(2);
const say = (message) => console.log(`[${me}] ${message}`);
// A SIGKILLed shop is noticed after its session timeout (ms).
const client = createClient(coordination, { sessionTimeout: 2_000 });
await client.connect();

const db = await openTables({
  client,
  name: 'inventory',
  identifier: me,
  tables: { items: { key: 'sku', indexes: ['category'] }, sales: { key: 'id' } },
  log: { ensembleSize: 3, writeQuorum: 3, ackQuorum: 2 },
  // run.js starts three storage nodes of its own, which outlive the shops it kills; without this
  // (the default) each shop would host one in its own process (docs/tables.md, "Deployment").
  logNode: false,
  // Snapshot every 100 entries into dataDir: a restart loads it and follows the log from there.
  dataDir,
  snapshots: { entries: 100, interval: 1_000 },
});
const loaded = db.snapshots.loaded;
say(loaded ? `opened from its snapshot ${loaded.from} at ${loaded.position?.segmentId}:${loaded.position?.entryId}` : 'opened with an empty copy');
db.on('nodeConnected', (m) => say(`${m.identifier} connected`));
db.on('nodeDisconnected', (m) => say(`${m.identifier} disconnected`));
db.on('quorumLost', (q) => say(`quorum lost (${q.connected} of ${q.total})`));
db.on('quorumRegained', (q) => say(`quorum regained (${q.connected} of ${q.total})`));
db.on('resynced', (p) => say(`loaded a member's snapshot at ${p.segmentId}:${p.entryId}`));
// Say who the primary (the log's single writer) is whenever it changes.
let primary = null;
setInterval(() => {
  const now = db.status.primary;
  if (now !== null && now !== primary) say(`primary: ${(primary = now)}`);
}, 50).unref();
// Say when a snapshot reaches the disk: what a restart will load.
let saved = '';
setInterval(() => {
  const at = db.snapshots.durable;
  const text = at ? `${at.segmentId}:${at.entryId}` : '';
  if (text && text !== saved) say(`snapshot saved at ${(saved = text)}`);
}, 100).unref();

// The first shop stocks the inventory (once: the rows are there for the others and after a restart).
if (me === 'shop1') {
  await retry(() =>
    db.transaction(async (tx) => {
      for (const [sku, category] of [['hammer', 'tools'], ['saw', 'tools'], ['apple', 'food'], ['bread', 'food']]) {
        if ((await tx.get('items', sku)) === undefined) await tx.put('items', { sku, category, qty: 1_000, sold: 0 });
      }
    }, { timeout: 30_000 }),
  );
}
say('ready');

let selling = true;
let sold = 0;
let attempts = 0;
mkdirSync(dataDir, { recursive: true });
const salesLog = join(dataDir, 'sales.log');
const skus = ['hammer', 'saw', 'apple', 'bread'];
const selling$ = (async () => {
  while (selling) {
    const sku = skus[Math.floor(Math.random() * skus.length)];
    const id = `${me}-${process.pid}-${attempts++}`;
    try {
      // A sale stuck behind a dead primary gives up after 3 s (unacknowledged: it may or may not have committed).
      const done = await db.transaction(async (tx) => {
        const item = await tx.get('items', sku);
        if (item === undefined || item.qty === 0) return false;
        await tx.put('items', { ...item, qty: item.qty - 1, sold: item.sold + 1 });
        await tx.put('sales', { id, sku });
        return true;
      }, { retries: 20, timeout: 3_000 });
      if (done.result) {
        // Acknowledged: this sale is committed, whatever happens to any process now.
        appendFileSync(salesLog, `${id}\n`);
        if (++sold % 10 === 0) say(`sold ${sold}`);
      }
    } catch (err) {
      say(`sale failed: ${err.code ?? err.message}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
})();

process.on('SIGUSR2', async () => {
  selling = false;
  await selling$;
  say(`stopped selling after ${sold} sales`);
});
process.on('SIGHUP', async () => {
  await db.get('items', 'hammer', { read: 'linearizable', timeout: 10_000 });
  const rows = db.rows('items');
  const consistent = rows.every((r) => r.qty + r.sold === 1_000);
  const left = rows.reduce((n, r) => n + r.qty, 0);
  // Every sale any shop was told committed (in any of its lives) is here, and each is counted once in `sold`.
  const shops = dirname(dataDir);
  const acknowledged = readdirSync(shops).flatMap((shop) => {
    try {
      return readFileSync(join(shops, shop, 'sales.log'), 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  });
  const lost = acknowledged.filter((id) => db.local.get('sales', id) === undefined).length;
  const once = db.rows('sales').length === rows.reduce((n, r) => n + r.sold, 0);
  const { position, checksum } = db.status;
  say(
    `final: ${left} units left, qty + sold = 1000 for every item: ${consistent}, ` +
      `acknowledged sales lost: ${lost} of ${acknowledged.length}, each sale counted once: ${once}, ` +
      `at ${position.segmentId}:${position.entryId}, checksum ${checksum.slice(0, 16)}`,
  );
});
process.on('SIGTERM', async () => {
  await db.close();
  await client.close();
  process.exit(0);
});
