// The whole demo in one terminal: a coordination server, node 0 serving
// the metadata, nodes 1-3 reading and updating it; then node 0 is killed
// (SIGKILL) and a standby serves on. Every node's lines are printed as
// they come, prefixed with the node's name.
//
//   node run.js [connection string]
//
// Without a connection string it starts a Herd server in this process.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createClient, startServer } from 'herd-zk';
import { STATE } from './metadata.js';

const say = (message) => console.log(`[run] ${message}`);
const given = process.argv[2];
// tickTime 500: sessions as short as 1 s, so a dead node is noticed in 2 s.
const server = given ? undefined : await startServer({ port: 0, tickTime: 500, logLevel: 'warn' });
const coordination = given ?? server.connectionString;
say(given ? `using the coordination service at ${coordination}` : `started a Herd server at ${coordination}`);
// A fresh demo: forget the metadata a previous run saved there.
const admin = createClient(coordination);
await admin.connect();
if (await admin.exists(STATE)) await admin.delete(STATE);
await admin.close();
let stopping = false;

const nodes = new Map();
function start(index) {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./node.js', import.meta.url)), String(index), coordination], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.once('exit', (code, signal) => {
    if (stopping || signal === 'SIGKILL') return;
    say(`node${index} exited (${signal ?? code}): stopping the demo`);
    process.exit(1);
  });
  const lines = [];
  const waiters = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    console.log(line);
    lines.push(line);
    for (const w of [...waiters]) w();
  });
  const node = {
    child,
    /** How many lines this node has printed so far. */
    printed: () => lines.length,
    /** Resolves when this node has printed a line matching `pattern` (from its line number `from` on). */
    prints: (pattern, from = 0) =>
      new Promise((resolve) => {
        const check = () => {
          const found = lines.slice(from).find((l) => pattern.test(l));
          if (found === undefined) return;
          waiters.splice(waiters.indexOf(check), 1);
          resolve(found);
        };
        waiters.push(check);
        check();
      }),
  };
  nodes.set(index, node);
  return node;
}

const node0 = start(0);
await node0.prints(/SERVING/);
for (const i of [1, 2, 3]) await start(i).prints(/standby/);
await Promise.all([1, 2, 3].map((i) => nodes.get(i).prints(/round 3:/)));

say(`killing node0 (pid ${node0.child.pid}) with SIGKILL`);
node0.child.kill('SIGKILL');
const successor = await Promise.race([1, 2, 3].map((i) => nodes.get(i).prints(/SERVING/).then(() => i)));
say(`node${successor} took over`);
const survivors = [1, 2, 3];
// Each caller goes on: a round that succeeds after the takeover (one in flight during it may have failed).
const printedAtTakeover = new Map(survivors.map((i) => [i, nodes.get(i).printed()]));
await Promise.all(survivors.map((i) => nodes.get(i).prints(/round \d+: version/, printedAtTakeover.get(i))));

say('stopping');
stopping = true;
await Promise.all(
  survivors.map((i) => {
    const { child } = nodes.get(i);
    return new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
  }),
);
await server?.close();
say('done');
