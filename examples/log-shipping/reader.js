// Reads the shipped logs back by time range, as an operator would ask
// "everything between 10:00:01 and 10:00:02", merging the three logs in
// time order. It is not a writer: reading never disturbs the shippers.
//
//   node reader.js <connection string> <name>...
//
// It asks for the second in the middle of what was shipped.
import { createClient } from 'herd-zk';
import { readLog } from 'herd-zk/log';

const [coordination, ...names] = process.argv.slice(2);
const say = (message) => console.log(`[reader] ${message}`);
const client = createClient(coordination);
await client.connect();

/** Every entry of every log within [start, end], merged by timestamp. */
async function readRange(start, end) {
  const all = [];
  for (const name of names) {
    for await (const e of readLog(client, `app-${name}`, { from: new Date(start), to: new Date(end) })) all.push({ name, ...e });
  }
  return all.sort((a, b) => a.timestamp - b.timestamp || a.name.localeCompare(b.name));
}

const everything = await readRange(0, Date.now());
const counts = names.map((n) => `${n}=${everything.filter((e) => e.name === n).length}`).join(' ');
say(`whole logs: ${everything.length} lines (${counts})`);

const middle = Math.round((everything[0].timestamp + everything.at(-1).timestamp) / 2);
const [from, to] = [middle - 500, middle + 500];
const window = await readRange(from, to);
const expected = everything.filter((e) => e.timestamp >= from && e.timestamp <= to).length;
say(`between ${new Date(from).toISOString()} and ${new Date(to).toISOString()}: ${window.length} lines (a full scan counts ${expected})`);
for (const e of window.slice(0, 3)) say(`  ${new Date(e.timestamp).toISOString()} ${e.data.toString()}`);
say('  ...');
for (const e of window.slice(-2)) say(`  ${new Date(e.timestamp).toISOString()} ${e.data.toString()}`);
await client.close();
