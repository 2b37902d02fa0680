import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient, type Client } from '../../../src/client/index.js';
import { startServer, type ServerHandle, serverInstance } from '../../../src/server/server.js';
import { requireTool } from '../../support/interop.js';
import { startZooKeeper, zookeeperAvailable, type ZooKeeperServer } from '../../support/zookeeper.js';
import { fourLetterWord, lines, parseMntr, parseSrvr } from './support.js';

/**
 * The packet counters and the outstanding-request figure mean what they mean
 * in ZooKeeper: the same traffic gives the same Received and Sent on Herd and
 * on a real ZooKeeper 3.8 (the ConnectRequest and its answer count, and so do
 * a four-letter word and its answer), and
 * requests still in the pipeline show as outstanding.
 */

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** srst, then a new session with three reads; the counters srvr and cons report then. */
async function countTraffic(host: string, port: number): Promise<{ received: string; sent: string; conn: string }> {
  assert.equal(await fourLetterWord(host, port, 'srst'), 'Server stats reset.\n');
  // A long session timeout: no heartbeat lands in the counters during the test.
  const client = createClient(`${host}:${port}`, { sessionTimeout: 60_000 });
  try {
    await client.connect();
    for (let i = 0; i < 3; i++) await client.exists('/');
    const srvr = parseSrvr(await fourLetterWord(host, port, 'srvr'));
    const cons = lines(await fourLetterWord(host, port, 'cons'));
    const line = cons.find((l) => l.includes(`sid=0x${client.sessionId.toString(16)},`)) ?? '';
    const m = /recved=(\d+),sent=(\d+)/.exec(line);
    return { received: srvr.get('Received')!, sent: srvr.get('Sent')!, conn: m ? `${m[1]}/${m[2]}` : `no line in ${cons.join('|')}` };
  } finally {
    await client.close();
  }
}

describe('packet counters, as ZooKeeper 3.8 counts them', { skip: !zookeeperAvailable() && !process.env.CI }, () => {
  let herd: ServerHandle;
  let zk: ZooKeeperServer | undefined;

  before(async () => {
    herd = await startServer({ host: '127.0.0.1', port: 0, logLevel: 'silent', fourLetterWords: '*' });
    if (requireTool(undefined, zookeeperAvailable(), 'ZooKeeper 3.8 (Debian zookeeper package) and Java')) zk = await startZooKeeper({ fourLetterWords: '*' });
  });

  after(async () => {
    await herd?.close();
    await zk?.destroy();
  });

  it('counts the ConnectRequest in Received and its answer in Sent, on the server and the connection', async (t) => {
    const ours = await countTraffic('127.0.0.1', herd.port);
    // After the reset: connect + 3 exists + srvr received; srst's answer (written after the reset) + connect + 3 answers sent.
    assert.deepEqual(ours, { received: '5', sent: '5', conn: '4/4' });
    if (!zk) return t.skip('ZooKeeper not available');
    assert.deepEqual(await countTraffic(zk.host, zk.port), ours);
  });
});

describe('outstanding requests', () => {
  let herd: ServerHandle;
  let client: Client;

  before(async () => {
    herd = await startServer({ host: '127.0.0.1', port: 0, logLevel: 'silent', fourLetterWords: '*' });
    client = createClient(herd.connectionString, { sessionTimeout: 60_000 });
    await client.connect();
  });

  after(async () => {
    await client?.close();
    await herd?.close();
  });

  it('mntr, srvr and cons count requests read and not answered yet; none once they are', async () => {
    const received = serverInstance(herd).metrics.packetsReceived;
    serverInstance(herd).pause();
    const pending = Array.from({ length: 5 }, (_, i) => client.exists(`/nothing-${i}`));
    try {
      // Read (counted as received at once, as ZooKeeper does) but held in the pipeline.
      await waitFor(() => serverInstance(herd).metrics.packetsReceived >= received + 5, 10_000, 'the requests read');
      assert.equal(parseMntr(await fourLetterWord('127.0.0.1', herd.port, 'mntr')).get('outstanding_requests'), '5');
      assert.equal(parseSrvr(await fourLetterWord('127.0.0.1', herd.port, 'srvr')).get('Outstanding'), '5');
      const line = lines(await fourLetterWord('127.0.0.1', herd.port, 'cons')).find((l) => l.includes(',sid='))!;
      assert.match(line, /\(queued=5,/);
    } finally {
      serverInstance(herd).resume();
    }
    assert.deepEqual(await Promise.all(pending), [null, null, null, null, null]);
    await waitFor(() => serverInstance(herd).outstandingRequests === 0, 5_000, 'the replies written');
    assert.equal(parseMntr(await fourLetterWord('127.0.0.1', herd.port, 'mntr')).get('outstanding_requests'), '0');
  });
});
