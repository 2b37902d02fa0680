// One storage node of the demo: keeps log entries on disk, registers in the
// coordination store, and runs an auditor candidate (the elected one copies
// a lost node's entries onto live nodes).
//
//   node storage-node.js <name> <connection string> <data dir>
import { startLogNode } from 'herd-zk/log';

const [name = 'store1', coordination = 'localhost:2181', dataDir = `./${name}-data`] = process.argv.slice(2);
const log = (message) => console.log(`[${name}] ${message}`);

const node = await startLogNode({
  coordination,
  dataDir,
  port: 0,
  host: '127.0.0.1',
  // A dead node is noticed when its session ends (2 s here) and repaired 1 s later. The auditor does not
  // watch segments close: it finds a closed segment with a lost member at its next pass (every 60 s by
  // default; 2 s for the demo).
  clientOptions: { sessionTimeout: 2_000 },
  auditor: { gracePeriod: 1_000, auditInterval: 2_000 },
});
log(`storing at ${node.address} (instance ${node.instanceId.slice(0, 8)})`);
node.auditor?.on('repaired', (r) => log(`auditor: copied ${r.entries} entries of segment ${r.segmentId} (log ${r.log}) from lost ${r.replaced.slice(0, 8)} onto ${r.by.slice(0, 8)}`));

process.once('SIGTERM', async () => {
  await node.close();
  process.exit(0);
});
