/**
 * TLS between storage nodes and their clients (src/log/node/tls.ts): a
 * node started with `tls` serves entries over TLS, records it in its
 * registration, refuses clients without a certificate when it asks for
 * one, and a mismatch (wrong CA, TLS on one side only) is a
 * NodeAuthenticationError at once, never a hang.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { it } from 'node:test';
import { connectLogNode, NodeAuthenticationError, NODES_PATH, openLog, readLog, type LogNodeClient, type NodeRecord } from '../../src/log/index.js';
import { herdAsync } from '../cli/herd.js';
import { connect, forEachTarget, uniquePath } from '../support/targets.js';
import { collect, startTestNode, tempDir } from './node/support.js';
import { useCerts } from './tls-support.js';

const certs = useCerts();

const entry = (entryId: number, text: string) => ({ segmentId: 1, entryId, timestamp: 1000 + entryId, lastAddConfirmed: entryId - 1, data: Buffer.from(text) });

/** Rejects with NodeAuthenticationError whose message matches `pattern`, well within the connect timeout (no hang). */
async function refused(connecting: Promise<LogNodeClient>, pattern: RegExp): Promise<void> {
  const started = Date.now();
  await assert.rejects(connecting, (error: unknown) => {
    assert.ok(error instanceof NodeAuthenticationError, `NodeAuthenticationError, got ${String(error)}`);
    assert.equal(error.code, 'AUTHENTICATION');
    assert.match(error.message, pattern);
    return true;
  });
  assert.ok(Date.now() - started < 4000, `refused in ${Date.now() - started} ms, not by the 5 s connect timeout`);
}

forEachTarget('log node: TLS', (target) => {
  const coordination = async (): Promise<string> => {
    const root = uniquePath('log-tls');
    const plain = await connect(target());
    await plain.mkdirp(root);
    return `${target().connectionString}${root}`;
  };

  it('serves appends and reads over TLS, and its registration says so', async () => {
    const conn = await coordination();
    await using node = await startTestNode(conn, await tempDir('log-tls'), { tls: { key: certs().serverKey, cert: certs().serverCert } });
    await using c = await connectLogNode(node.address, { tls: { ca: certs().ca }, connectTimeout: 5000 });
    assert.equal(c.instanceId, node.instanceId);
    await c.addEntries({ segmentId: 1, firstEntryId: 0, lastAddConfirmed: -1, entries: [0, 1, 2].map((i) => ({ timestamp: 1000 + i, data: Buffer.from(`e${i}`) })) });
    await c.addEntry(entry(3, 'e3'));
    const read = await collect(c.readRange(1));
    assert.deepEqual(read.map((e) => e.data.toString()), ['e0', 'e1', 'e2', 'e3']);
    const client = await connect(target(), {}, conn);
    const { data } = await client.getData(`${NODES_PATH}/${node.instanceId}`);
    const record = JSON.parse(data!.toString()) as NodeRecord;
    assert.equal(record.tls, true);
  });

  it('openLog and readLog over TLS: appends and reads through every storage node of the ensemble; a reader without tls is refused', async () => {
    const conn = await coordination();
    const tls = { key: certs().serverKey, cert: certs().serverCert, ca: certs().ca };
    await using n1 = await startTestNode(conn, await tempDir('log-tls'), { tls });
    await using n2 = await startTestNode(conn, await tempDir('log-tls'), { tls });
    const client = await connect(target(), {}, conn);
    await using log = await openLog(client, 'secure', { ensembleSize: 2, writeQuorum: 2, ackQuorum: 2, tls: { ca: certs().ca } });
    for (const text of ['a', 'b', 'c']) await log.append(Buffer.from(text));
    const read = async (records: AsyncIterable<{ data: Buffer }>): Promise<string[]> => {
      const out: string[] = [];
      for await (const r of records) out.push(r.data.toString());
      return out;
    };
    assert.deepEqual(await read(log.read()), ['a', 'b', 'c']);
    await log.close();
    // A spread: ReadLogOptions has no `tls` until the node pool change lands.
    const secure = { tls: { ca: certs().ca } };
    assert.deepEqual(await read(readLog(client, 'secure', { connectTimeout: 5000, ...secure })), ['a', 'b', 'c']);
    // A reader without tls: every replica refuses it, and the failure says why.
    await assert.rejects(read(readLog(client, 'secure', { connectTimeout: 2000 })), /serves over TLS/);
    // The operator's commands take the same trust from files.
    const ca = join(certs().dir, 'herd-test-ca.crt');
    const cli = await herdAsync('log', 'read', 'secure', '--coordination', conn, '--tls-ca', ca);
    assert.equal(cli.status, 0, cli.stderr);
    assert.deepEqual(cli.stdout.trimEnd().split('\n').map((line) => line.split('  ').at(-1)), ['a', 'b', 'c']);
    const plain = await herdAsync('log', 'read', 'secure', '--coordination', conn);
    assert.equal(plain.status, 1);
    assert.match(plain.stderr, /serves over TLS/);
    const status = await herdAsync('log', 'status', 'secure', '--coordination', conn, '--tls-ca', ca, '--json');
    assert.equal(status.status, 0, status.stderr);
    assert.equal(JSON.parse(status.stdout).segments.length, 1);
    const orphan = await herdAsync('log', 'tail', 'secure', '--coordination', conn, '--tls-cert', ca);
    assert.equal(orphan.status, 1);
    assert.match(orphan.stderr, /--tls-cert, --tls-key and --tls-servername need --tls-ca/);
    assert.notEqual(n1.instanceId, n2.instanceId);
  });

  it('mutual TLS: a client without a certificate signed by the CA is refused; with one it is served', async () => {
    const conn = await coordination();
    await using node = await startTestNode(conn, await tempDir('log-tls'), { tls: { key: certs().serverKey, cert: certs().serverCert, ca: certs().ca, requestCert: true } });
    await refused(connectLogNode(node.address, { tls: { ca: certs().ca }, connectTimeout: 5000 }), /TLS failed/);
    await refused(connectLogNode(node.address, { tls: { ca: certs().ca, key: certs().rogueKey, cert: certs().rogueCert }, connectTimeout: 5000 }), /TLS failed/);
    await using c = await connectLogNode(node.address, { tls: { ca: certs().ca, key: certs().clientKey, cert: certs().clientCert }, connectTimeout: 5000 });
    await c.addEntry(entry(0, 'mutual'));
    assert.equal((await c.readEntry(1, 0)).data.toString(), 'mutual');
  });

  it('a client that trusts another CA is refused with a clear error', async () => {
    const conn = await coordination();
    await using node = await startTestNode(conn, await tempDir('log-tls'), { tls: { key: certs().serverKey, cert: certs().serverCert } });
    await refused(connectLogNode(node.address, { tls: { ca: certs().rogueCert }, connectTimeout: 5000 }), /TLS failed.*(certificate|verify)/i);
  });

  it('TLS on one side only: a plain client of a TLS node and a TLS client of a plain node fail at once', async () => {
    const conn = await coordination();
    await using secure = await startTestNode(conn, await tempDir('log-tls'), { tls: { key: certs().serverKey, cert: certs().serverCert } });
    await using plain = await startTestNode(conn, await tempDir('log-tls'));
    // Over the wire: the node answers the plain protocol with an error reply.
    await refused(connectLogNode(secure.address, { connectTimeout: 5000 }), /serves over TLS/);
    // From the registration (what the log's node pool passes): refused before connecting.
    await refused(connectLogNode({ host: secure.host, port: secure.port, tls: true }, { connectTimeout: 5000 }), /serves over TLS/);
    await refused(connectLogNode({ host: plain.host, port: plain.port }, { tls: { ca: certs().ca }, connectTimeout: 5000 }), /TLS failed/);
    await refused(connectLogNode({ host: plain.host, port: plain.port, tls: false }, { tls: { ca: certs().ca }, connectTimeout: 5000 }), /does not serve over TLS/);
    // The refusals left both nodes serving.
    await using c = await connectLogNode(plain.address);
    await c.addEntry(entry(0, 'still'));
    await using s = await connectLogNode(secure.address, { tls: { ca: certs().ca } });
    await s.addEntry(entry(0, 'still'));
  });
});
