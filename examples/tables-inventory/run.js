// The whole demo in one terminal: a coordination server, three log storage
// nodes, and three shops (node.js) sharing one inventory. shop3 is
// SIGKILLed while they sell; the other two go on; shop3 restarts from its
// snapshot file and catches up. Then the primary (the log's writer) is
// SIGKILLed: the other two elect a new one and go on; it restarts. All
// three end with the same copy, holding every sale any shop was told
// committed. Every process's lines are printed as they come, prefixed with
// its name.
//
//   node run.js [connection string]
//
// Without a connection string it starts a Herd server in this process.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createClient, startServer } from 'herd-zk';
import { startLogNode } from 'herd-zk/log';

const say = (message) => console.log(`[run] ${message}`);
const given = process.argv[2];
// tickTime 500: sessions as short as 1 s, so a dead shop is noticed in 2 s.
const server = given ? undefined : await startServer({ port: 0, tickTime: 500, logLevel: 'warn' });
const chroot = `/tables-inventory-demo-${process.pid}-${Date.now()}`;
const base = given ?? server.connectionString;
const admin = createClient(base);
await admin.connect();
await admin.mkdirp(chroot);
const coordination = `${base}${chroot}`;
say(given ? `using the coordination service at ${base} (chroot ${chroot})` : `started a Herd server at ${base} (chroot ${chroot})`);
const dataRoot = await mkdtemp(join(tmpdir(), 'herd-tables-inventory-'));

// The log's storage nodes (a tables node could host one each; here they live in this process).
const stores = [];
for (const name of ['store1', 'store2', 'store3']) stores.push(await startLogNode({ coordination, dataDir: join(dataRoot, name), host: '127.0.0.1', port: 0 }));
say(`started 3 log storage nodes`);

/** Starts a shop whose lines are printed and can be waited for. */
function start(name) {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./node.js', import.meta.url)), name, coordination, join(dataRoot, name)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = [];
  const waiters = new Set();
  createInterface({ input: child.stdout }).on('line', (line) => {
    console.log(line);
    lines.push(line);
    const elected = /^\[\w+\] primary: (\w+)$/.exec(line);
    if (elected) primary = elected[1];
    for (const w of [...waiters]) w();
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  const from = () => lines.length;
  /** Resolves with the first line matching `pattern` printed after line `since`. */
  const prints = (pattern, since = 0) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = lines.slice(since).find((l) => pattern.test(l));
        if (found === undefined) return;
        waiters.delete(check);
        resolve(found);
      };
      waiters.add(check);
      check();
      exited.then((how) => reject(new Error(`${name} exited (${how}) before printing ${pattern}`)));
    });
  return { name, child, exited, prints, from };
}

/** The primary the shops last reported. */
let primary;
const shops = new Map();
// shop1 first (it stocks the inventory and becomes the primary), then the other two at once.
for (const names of [['shop1'], ['shop2', 'shop3']]) {
  for (const name of names) shops.set(name, start(name));
  await Promise.all(names.map((name) => shops.get(name).prints(/ready$/)));
}
await shops.get('shop3').prints(/sold 10$/);
// Killed before its first snapshot reached the disk, shop3 would start empty and replay the log: fine, but not the point.
await shops.get('shop3').prints(/snapshot saved at \d+:\d+$/);

say(`killing shop3 (pid ${shops.get('shop3').child.pid}) with SIGKILL`);
shops.get('shop3').child.kill('SIGKILL');
await shops.get('shop3').exited;
const mark1 = shops.get('shop1').from();
await shops.get('shop1').prints(/shop3 disconnected$/, mark1);
await shops.get('shop1').prints(/sold \d+$/, mark1 + 1);
say('shop1 and shop2 go on selling without shop3');

const shop3 = start('shop3');
shops.set('shop3', shop3);
await shop3.prints(/ready$/);
await shop3.prints(/sold 10$/);
say('shop3 is back');

// Now the primary: the others notice its session end, elect a new primary (which fences the old one's log
// segment, so every sale it acknowledged stays) and go on; then it restarts.
const victim = shops.get(primary);
say(`killing the primary ${victim.name} (pid ${victim.child.pid}) with SIGKILL`);
const survivors = [...shops.values()].filter((s) => s !== victim);
const marks = survivors.map((s) => s.from());
victim.child.kill('SIGKILL');
await victim.exited;
const next = await Promise.race(survivors.map((s, i) => s.prints(new RegExp(`primary: (?!${victim.name}$)\\w+$`), marks[i])));
const successor = next.replace(/^.*primary: /, '');
await Promise.all(survivors.map((s) => s.prints(/sold \d+$/, s.from())));
say(`${survivors.map((s) => s.name).join(' and ')} go on selling with ${successor} as the primary`);
const back = start(victim.name);
shops.set(victim.name, back);
await back.prints(/ready$/);
await back.prints(/sold 10$/);
say(`${victim.name} is back`);

// Stop the sales everywhere; then each shop reads the committed tail and prints its copy; then they close.
for (const s of shops.values()) s.child.kill('SIGUSR2');
await Promise.all([...shops.values()].map((s) => s.prints(/stopped selling/)));
for (const s of shops.values()) s.child.kill('SIGHUP');
const finals = await Promise.all([...shops.values()].map((s) => s.prints(/final: /)));
for (const s of shops.values()) s.child.kill('SIGTERM');
const same = new Set(finals.map((l) => l.replace(/^\[\w+\] /, ''))).size === 1;
say(same ? 'all three shops hold the same inventory' : 'the shops differ!');
await Promise.all([...shops.values()].map((s) => s.exited));
await Promise.all(stores.map((s) => s.close()));
await admin.close();
await server?.close();
await rm(dataRoot, { recursive: true, force: true });
say('done');
process.exit(same ? 0 : 1);
