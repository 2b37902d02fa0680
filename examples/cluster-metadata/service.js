// A small service that runs as several instances: each publishes its own
// metadata (its HTTP address and a load figure it updates), every instance
// sees the others, and exactly one of them, the primary, runs a periodic job.
// Every transition is printed.
//
//   node service.js <identifier> [connection string]
//
// The connection string defaults to localhost:2181/herd (`npx herd server`).
import { joinCluster } from 'herd-zk/cluster';

const identifier = process.argv[2] ?? `svc-${process.pid}`;
const coordination = process.argv[3] ?? 'localhost:2181/herd';
// Durations in ms, as everywhere in herd-zk.
const sessionTimeout = Number(process.env.SESSION_TIMEOUT ?? 10_000);
const jobInterval = Number(process.env.JOB_INTERVAL ?? 2_000);
const log = (message) => console.log(`[${identifier}] ${message}`);

let load = 0;
const node = await joinCluster({
  cluster: 'metadata-demo',
  identifier,
  address: `127.0.0.1:${8000 + (process.pid % 1000)}`,
  version: '1.0.0',
  data: { load, startedAt: new Date().toISOString() },
  backend: { coordination, sessionTimeout },

  // Runs for the whole tenure: the job stops as soon as the signal aborts.
  onPrimary: async ({ epoch, signal }) => {
    log(`PRIMARY (epoch ${epoch}): running the periodic job every ${jobInterval} ms`);
    let run = 0;
    const timer = setInterval(() => {
      run++;
      const members = node.members();
      const total = members.reduce((sum, m) => sum + (m.data?.load ?? 0), 0);
      // A real job would pass `epoch` to what it writes, so a stale primary is refused.
      log(`job #${run} (epoch ${epoch}): ${members.length} members, total load ${total}`);
    }, jobInterval);
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    clearInterval(timer);
  },
  onSecondary: ({ epoch, reason }) => log(`secondary: tenure ${epoch} ended (${reason})`),
  onExit: ({ by }) => {
    log(`superseded by ${by.identifier} (version ${by.version}): exiting`);
    process.exit(0);
  },
});

log(`joined; members: ${node.members().map((m) => m.identifier).join(', ')}`);
node.on('members', ({ joined, left, members }) => {
  const changes = [...joined.map((m) => `+${m.identifier}`), ...left.map((m) => `-${m.identifier}`)];
  if (changes.length > 0) log(`members: ${changes.join(' ')} (${members.length} now)`);
});
node.on('primaryChanged', ({ primary }) => log(primary ? `primary is now ${primary.identifier} (epoch ${primary.epoch})` : 'no primary right now'));
node.on('degraded', (error) => log(`degraded: ${error.message}`));
node.on('recovered', () => log('recovered'));

// The metadata every instance shares: a load figure, updated now and then.
const publisher = setInterval(() => {
  load = Math.floor(Math.random() * 100);
  node.publish({ load, startedAt: node.members().find((m) => m.identifier === identifier)?.data?.startedAt ?? null }).catch(() => {});
}, 3_000);

const stop = () => {
  clearInterval(publisher);
  log('leaving');
  // Hands the primary role over first, then leaves.
  node.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
