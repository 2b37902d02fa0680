/**
 * Failover against a real 3-node ZooKeeper ensemble: the server the client
 * is connected to is killed while the client has ephemerals, one-shot and
 * persistent watches, and requests in flight. (Real ZooKeeper only: Herd's
 * server is a single node.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient, retry, type Client, type WatchEvent } from '../../src/client/index.js';
import { ConnectionLossError } from '../../src/errors.js';
import { startEnsemble, type Ensemble } from '../support/zookeeper.js';
import { nextEvent, uniquePath, waitFor, zookeeperRequired } from '../support/targets.js';

const show = (e: WatchEvent): string => `${e.type} ${e.path}`;

describe('client failover in a 3-node ZooKeeper ensemble', { skip: !zookeeperRequired() && 'ZooKeeper not available' }, () => {
  let ensemble: Ensemble;
  let client: Client;
  let writer: Client;

  before(async () => {
    ensemble = await startEnsemble(3, { tickTime: 200, forceSync: false, maxSessionTimeout: 60000 });
  });
  after(async () => {
    await client?.close();
    await writer?.close();
    await ensemble?.destroy();
  });

  it('kill the connected server: the session, ephemerals and watches survive; no reply is lost or duplicated', async () => {
    client = createClient(ensemble.connectionString, { sessionTimeout: 8000, backoff: { initialDelay: 20, maxDelay: 200 } });
    await client.connect();
    const victim = ensemble.servers.find((s) => s.connectionString === client.currentServer);
    assert.ok(victim, `connected to ${client.currentServer}`);
    const others = ensemble.servers.filter((s) => s !== victim).map((s) => s.connectionString);
    writer = createClient(others.join(','));
    await writer.connect();

    const base = uniquePath('ens');
    await client.create(base, '0');
    const eph = await client.create(`${base}/eph`, null, { mode: 'ephemeral' });
    const oneShot: string[] = [];
    const persistent: string[] = [];
    await client.getData(base, { watch: (e) => oneShot.push(show(e)) });
    await client.addWatch(base, 'persistentRecursive', (e) => persistent.push(show(e)));
    const sessionId = client.sessionId;

    // Requests in flight while the server dies.
    const settled: ('ok' | 'lost')[] = [];
    const versions: number[] = [];
    const inFlight = Array.from({ length: 200 }, (_, i) =>
      client.setData(`${base}/eph`, String(i)).then(
        (stat) => {
          settled[i] = 'ok';
          versions.push(stat.version);
        },
        (err: unknown) => {
          assert.ok(err instanceof ConnectionLossError, String(err));
          settled[i] = 'lost';
        },
      ),
    );
    const killed = victim.kill();
    await Promise.all(inFlight);
    await killed;
    assert.equal(settled.filter(Boolean).length, 200, 'every request settled exactly once');
    // Replies arrive in order: the ones that succeeded saw strictly increasing versions.
    assert.deepEqual([...versions].sort((a, b) => a - b), versions);
    assert.equal(new Set(versions).size, versions.length);

    // Changes made by another client while this one has no connection. If the
    // victim led the ensemble, the others drop their clients during the election.
    const again = { retries: 20, baseDelay: 50, maxDelay: 500 };
    await retry(() => writer.setData(base, 'during the outage'), again);
    if (client.state !== 'connected') await nextEvent(client, 'connected', 20000);
    assert.equal(client.sessionId, sessionId, 'same session on another server');
    assert.notEqual(client.currentServer, victim.connectionString);
    assert.notEqual(await retry(() => writer.exists(eph), again), null, 'the ephemeral survived');
    const stat = await retry(() => client.exists(eph), again);
    assert.ok(stat && stat.version >= versions.length, 'every acknowledged write is there');

    await waitFor(() => oneShot.length === 1, 10000, 'the one-shot watch');
    assert.deepEqual(oneShot, [`nodeDataChanged ${base}`]);
    await retry(() => writer.setData(base, 'after'), again);
    await waitFor(() => persistent.includes(`nodeDataChanged ${base}`), 10000, 'the persistent watch');
  });
});
