// The whole demo in one terminal: a coordination server, four storage
// nodes, three application servers shipping their log lines; one storage
// node is SIGKILLed while they ship; then the logs are read back by time
// range. Every process's lines are printed as they come, prefixed with its
// name.
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

const say = (message) => console.log(`[run] ${message}`);
const given = process.argv[2];
// tickTime 500: sessions as short as 1 s, so a dead node is noticed in 2 s.
const server = given ? undefined : await startServer({ port: 0, tickTime: 500, logLevel: 'warn' });
// Each run in its own chroot, so earlier runs' logs and nodes are not in the way.
const chroot = `/log-shipping-demo-${process.pid}-${Date.now()}`;
const base = given ?? server.connectionString;
const admin = createClient(base);
await admin.connect();
await admin.mkdirp(chroot);
const coordination = `${base}${chroot}`;
say(given ? `using the coordination service at ${base} (chroot ${chroot})` : `started a Herd server at ${base} (chroot ${chroot})`);
const dataRoot = await mkdtemp(join(tmpdir(), 'herd-log-shipping-'));
let stopping = false;

/** Starts `script` as a child process whose lines are printed and can be waited for. */
function start(script, args) {
  const child = spawn(process.execPath, [fileURLToPath(new URL(script, import.meta.url)), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = [];
  const waiters = new Set();
  createInterface({ input: child.stdout }).on('line', (line) => {
    console.log(line);
    lines.push(line);
    for (const w of [...waiters]) w();
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  return {
    child,
    exited,
    lines,
    /** Resolves with the first line matching `pattern` this process printed. */
    prints: (pattern) =>
      new Promise((resolve) => {
        const check = () => {
          const found = lines.find((l) => pattern.test(l));
          if (found === undefined) return;
          waiters.delete(check);
          resolve(found);
        };
        waiters.add(check);
        check();
      }),
  };
}

// The four nodes start side by side: each is a process of its own, and none waits for another.
const stores = new Map(
  await Promise.all(
    ['store1', 'store2', 'store3', 'store4'].map(async (name) => {
      const node = start('./storage-node.js', [name, coordination, join(dataRoot, name)]);
      node.exited.then((how) => {
        if (!stopping && how !== 'SIGKILL') {
          say(`${name} exited (${how}): stopping the demo`);
          process.exit(1);
        }
      });
      const line = await node.prints(/storing at/);
      return [name, { ...node, instance: /instance (\w+)/.exec(line)[1] }];
    }),
  ),
);

const shippers = ['web1', 'web2', 'web3'];
const running = shippers.map((name) => start('./shipper.js', [name, coordination, '3000']));
await running[0].prints(/shipped 50 lines/);

// Kill a node that holds web1's entries: its segment must go on without it.
const segments = JSON.parse((await admin.getData(`${chroot}/herd/log/logs/app-web1`)).data.toString()).segments;
const segment = JSON.parse((await admin.getData(`${chroot}/herd/log/segments/${String(segments[0]).padStart(10, '0')}`)).data.toString());
const victimInstance = segment.ensembles[0].nodes[0].slice(0, 8);
const [victim, store] = [...stores].find(([, s]) => s.instance === victimInstance);
say(`killing ${victim} (pid ${store.child.pid}, in web1's ensemble) with SIGKILL`);
store.child.kill('SIGKILL');
stores.delete(victim);

const results = await Promise.all(running.map(async (s) => ((await s.exited) === 0 ? s.prints(/done:/) : `${s.child.pid} failed`)));
say(`shippers finished: ${results.map((r) => /done: (\d+)/.exec(r)?.[1] ?? r).join(' + ')} lines acknowledged`);

// The auditor copies what the dead node held onto a live one once the shippers closed their segments.
const repaired = await Promise.race([
  Promise.any([...stores.values()].map((s) => s.prints(/auditor: copied/))).then(() => true),
  new Promise((resolve) => setTimeout(resolve, 20_000, false)),
]);
say(repaired ? `the dead node's copies are back on live nodes` : 'no repair seen within 20 s');

const reader = start('./reader.js', [coordination, ...shippers]);
if ((await reader.exited) !== 0) {
  say('the reader failed');
  process.exit(1);
}

say('stopping');
stopping = true;
await Promise.all([...stores.values()].map((s) => (s.child.kill('SIGTERM'), s.exited)));
await admin.close();
await server?.close();
await rm(dataRoot, { recursive: true, force: true });
say('done');
