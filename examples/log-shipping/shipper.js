// One application server shipping its log lines: it is the single writer of
// its own log `app-<name>` (3 copies of each entry, acknowledged after 2
// are on disk), and appends a line every 10 ms for `duration` ms.
//
//   node shipper.js <name> <connection string> [duration ms]
import { createClient } from 'herd-zk';
import { openLog } from 'herd-zk/log';

const [name = 'web1', coordination = 'localhost:2181', duration = '3000'] = process.argv.slice(2);
const log = (message) => console.log(`[${name}] ${message}`);

const client = createClient(coordination);
await client.connect();
const appLog = await openLog(client, `app-${name}`, { ensembleSize: 3, writeQuorum: 3, ackQuorum: 2, identifier: name });
appLog.on('ensembleChanged', (c) => log(`a storage node failed: segment ${c.segmentId} goes on from entry ${c.firstEntry} on another node`));

const until = Date.now() + Number(duration);
let shipped = 0;
let first;
let last;
while (Date.now() < until) {
  const at = Date.now();
  const position = await appLog.append(Buffer.from(`${name} handled request ${shipped + 1}`), { timestamp: at });
  first ??= position;
  last = position;
  shipped++;
  if (shipped % 50 === 0) log(`shipped ${shipped} lines (last at ${last.segmentId}:${last.entryId})`);
  await new Promise((resolve) => setTimeout(resolve, 10));
}
await appLog.close();
await client.close();
log(`done: ${shipped} lines acknowledged, ${first.segmentId}:${first.entryId} to ${last.segmentId}:${last.entryId}`);
