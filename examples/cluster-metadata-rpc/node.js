// One node of the cluster. Every node offers to serve the metadata as a
// singleton: the first one serves it, the others stand by, and one of them
// takes over when it dies. Every node also calls it: reads the cluster's
// name and roles, and updates its own role, every second.
//
//   node node.js <index> [connection string]
//
// The connection string defaults to localhost:2181 (`npx herd server`).
import { createClient } from 'herd-zk';
import { lookup, serve } from 'herd-zk/rpc';
import { EXPOSE, IDEMPOTENT, Metadata } from './metadata.js';

const index = Number(process.argv[2] ?? 0);
const coordination = process.argv[3] ?? 'localhost:2181';
const me = `node${index}`;
// Durations in ms, as everywhere in herd-zk. A dead node is noticed after its session timeout.
const sessionTimeout = Number(process.env.SESSION_TIMEOUT ?? 2_000);
const log = (message) => console.log(`[${me}] ${message}`);

const client = createClient(coordination, { sessionTimeout });
await client.connect();

// Offer to serve the metadata: one node serves, the others stand by.
const metadata = new Metadata(client);
const served = await serve(client, 'metadata', metadata, { expose: EXPOSE, idempotent: IDEMPOTENT, singleton: true, identifier: me });
const onServing = async () => log(`SERVING the metadata at ${served.address} (state version ${await metadata.load()})`);
if (served.state === 'serving') await onServing();
else log('standby: another node serves the metadata');
served.on('serving', onServing);
served.on('standby', () => log('standby'));

// Call it, as any node does, wherever it is served: the proxy follows the singleton.
const md = await lookup(client, 'metadata', { callTimeout: 15_000 });
log(`cluster name: ${await md.clusterName()}`);
let rounds = 0;
let stopping = false;
const work = async () => {
  const round = ++rounds;
  try {
    const version = await md.setRole(me, round % 2 === 0 ? 'reader' : 'writer');
    const { roles } = await md.nodes();
    const listed = Object.entries(roles)
      .sort()
      .map(([node, role]) => `${node}=${role}`)
      .join(' ');
    log(`round ${round}: version ${version}, disabled: ${await md.amIDisabled(me)}, roles: ${listed}`);
  } catch (error) {
    if (stopping) return; // the proxy closed under a round in flight: not a failure of the demo
    // setRole is not idempotent: a call cut by the server's death fails (it may or may not have run).
    log(`round ${round}: ${error.name} ${error.code}: ${error.message}`);
  }
};
const timer = setInterval(work, 1_000);

const stop = async () => {
  stopping = true;
  clearInterval(timer);
  await md[Symbol.asyncDispose]();
  await served.close();
  await client.close();
  log('stopped');
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
