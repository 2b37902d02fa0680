/**
 * Connection security, on both targets (the registry entry says what an
 * instance wants): TLS, mutual TLS with the caller's certificate subject
 * in callContext(), certificates refused (wrong CA, missing, expired), and
 * the shared-secret handshake (a wrong or missing secret is refused with
 * AuthenticationError on the caller and a log line on the server, which
 * keeps serving).
 */
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Connection, splitAddress } from '../../src/rpc/connection.js';
import { HerdCodec } from '../../src/rpc/codec.js';
import { FrameReader, frame } from '../../src/rpc/frames.js';
import type { Message } from '../../src/rpc/protocol.js';
import { AuthenticationError, callContext, list, lookup, serve, type CallerInfo, type LookupOptions, type ServeOptions } from '../../src/rpc/index.js';
import { CLIENT_SUBJECT, makeCerts, run, type Certs } from '../support/tls-certs.js';
import { connect, forEachTarget, waitFor } from '../support/targets.js';

class Guarded {
  calls = 0;
  whoCalls(): CallerInfo | undefined {
    this.calls++;
    return callContext()?.caller;
  }
}
const EXPOSE = ['whoCalls'];

let certs: Certs;
let expired: { key: Buffer; cert: Buffer };

before(async () => {
  certs = await makeCerts();
  // A client certificate from the right CA whose validity ended before it began (-days -1): expired.
  run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'old.key', '-out', 'old.csr', '-subj', '/CN=old'], certs.dir);
  run('openssl', ['x509', '-req', '-in', 'old.csr', '-CA', 'herd-test-ca.crt', '-CAkey', 'herd-test-ca.key', '-CAcreateserial', '-out', 'old.crt', '-days', '-1', '-extfile', 'client.ext'], certs.dir);
  expired = { key: await readFile(join(certs.dir, 'old.key')), cert: await readFile(join(certs.dir, 'old.crt')) };
});
after(async () => {
  if (certs) await rm(certs.dir, { recursive: true, force: true });
});

forEachTarget('rpc security', (target) => {
  let n = 0;
  /** Serves a Guarded with `options`, capturing the server's log lines. */
  async function serveGuarded(options: Partial<ServeOptions>): Promise<{ name: string; object: Guarded; logs: string[]; close: () => Promise<void> }> {
    const name = `sec-${process.pid}-${Date.now()}-${n++}`;
    const object = new Guarded();
    const logs: string[] = [];
    const served = await serve(await connect(target()), name, object, { expose: EXPOSE, logger: (m) => logs.push(m), ...options });
    return { name, object, logs, close: () => served.close() };
  }
  async function callWith(name: string, options: LookupOptions): Promise<CallerInfo | undefined> {
    await using remote = await lookup<Guarded>(await connect(target()), name, { callTimeout: 20000, timeout: 20000, ...options });
    return await remote.whoCalls();
  }

  test('mutual TLS: the method sees the caller certificate subject; the entry says TLS', async () => {
    const s = await serveGuarded({ tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca, requestCert: true } });
    try {
      const caller = await callWith(s.name, { tls: { ca: certs.ca, key: certs.clientKey, cert: certs.clientCert } });
      assert.equal(caller?.certificate?.subject, CLIENT_SUBJECT);
      assert.equal(caller?.certificate?.issuer, 'CN=herd-test-ca');
      assert.equal(caller?.secretVerified, false);
      const [service] = await list(await connect(target()), s.name);
      assert.equal(service!.instances[0]!.tls, true);
      assert.equal(service!.instances[0]!.secret, false);
    } finally {
      await s.close();
    }
  });

  test('TLS refusals: no tls option, wrong CA, rogue, missing and expired client certificates; the server goes on', async () => {
    const s = await serveGuarded({ tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca, requestCert: true } });
    try {
      const refused = async (options: LookupOptions, pattern: RegExp, why: string): Promise<void> => {
        await assert.rejects(callWith(s.name, options), (e: Error) => e instanceof AuthenticationError && pattern.test(e.message), why);
      };
      await refused({}, /serves over TLS/, 'a caller without tls');
      await refused({ tls: { ca: certs.rogueCert, key: certs.clientKey, cert: certs.clientCert } }, /TLS .*refused/, 'a caller trusting another CA');
      await refused({ tls: { ca: certs.ca, key: certs.rogueKey, cert: certs.rogueCert } }, /TLS .*refused/, 'a client certificate from another CA');
      await refused({ tls: { ca: certs.ca } }, /TLS .*refused/, 'no client certificate');
      await refused({ tls: { ca: certs.ca, ...expired } }, /TLS .*refused/, 'an expired client certificate');
      assert.equal(s.object.calls, 0, 'no refused caller ran the method');
      // One line per client certificate refused, with the reason (a caller refusing the server's certificate only resets its socket).
      await waitFor(() => s.logs.filter((l) => /client certificate/.test(l)).length >= 3, 10000, `three log lines in ${s.logs.join('\n')}`);
      for (const reason of [/UNABLE_TO_VERIFY_LEAF_SIGNATURE/, /no client certificate/, /CERT_HAS_EXPIRED/]) {
        assert.ok(s.logs.some((l) => reason.test(l)), `${reason} in ${s.logs.join('\n')}`);
      }
      // A caller with the right certificate is still served.
      assert.equal((await callWith(s.name, { tls: { ca: certs.ca, key: certs.clientKey, cert: certs.clientCert } }))?.certificate?.subject, CLIENT_SUBJECT);
    } finally {
      await s.close();
    }
  });

  test('a caller with tls refuses an instance without it (no fallback to plain TCP)', async () => {
    const s = await serveGuarded({});
    try {
      await assert.rejects(callWith(s.name, { tls: { ca: certs.ca } }), (e: Error) => e instanceof AuthenticationError && /does not serve over TLS/.test(e.message));
      assert.equal(s.object.calls, 0);
    } finally {
      await s.close();
    }
  });

  test('shared secret: the same secret calls; a wrong or missing one is refused and logged, and nothing runs', async () => {
    const s = await serveGuarded({ secret: 'correct horse' });
    try {
      assert.equal((await callWith(s.name, { secret: 'correct horse' }))?.secretVerified, true);
      assert.equal(s.object.calls, 1);
      await assert.rejects(callWith(s.name, { secret: 'wrong horse' }), (e: Error) => e instanceof AuthenticationError && /secrets differ/.test(e.message));
      await assert.rejects(callWith(s.name, {}), (e: Error) => e instanceof AuthenticationError && /requires a shared secret/.test(e.message));
      // A peer that ignores the registry and skips the challenge gets nothing run either.
      const [service] = await list(await connect(target()), s.name);
      await assert.rejects(Connection.open(service!.instances[0]!.address, 'intruder'), AuthenticationError);
      assert.equal(s.object.calls, 1, 'only the caller with the secret ran the method');
      await waitFor(() => s.logs.filter((l) => /failed the shared-secret challenge|sent no shared-secret challenge/.test(l)).length >= 2, 10000, 'log lines');
      assert.equal((await callWith(s.name, { secret: Buffer.from('correct horse') }))?.secretVerified, true, 'the server goes on');
    } finally {
      await s.close();
    }
  });

  test('shared secret over mutual TLS', async () => {
    const s = await serveGuarded({ secret: 's3', tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca, requestCert: true } });
    try {
      const tls = { ca: certs.ca, key: certs.clientKey, cert: certs.clientCert };
      const caller = await callWith(s.name, { secret: 's3', tls });
      assert.equal(caller?.secretVerified, true);
      assert.equal(caller?.certificate?.subject, CLIENT_SUBJECT);
      await assert.rejects(callWith(s.name, { secret: 'other', tls }), AuthenticationError);
      await assert.rejects(callWith(s.name, { tls }), AuthenticationError);
    } finally {
      await s.close();
    }
  });

  test('a CALL sent in the same write as a wrong AUTH never runs', async () => {
    const s = await serveGuarded({ secret: 'right' });
    try {
      const [service] = await list(await connect(target()), s.name);
      const { host, port } = splitAddress(service!.instances[0]!.address);
      const codec = new HerdCodec();
      const bytes = Buffer.concat(
        [
          codec.encode({ kind: 'hello', version: 1, identifier: 'racer', nonce: Buffer.alloc(32, 1) }),
          codec.encode({ kind: 'auth', proof: Buffer.alloc(32, 2) }),
          codec.encode({ kind: 'call', id: 1, target: s.name, method: 'whoCalls', args: [], timeout: 5000 }),
        ].map(frame),
      );
      const socket = netConnect({ host, port }, () => socket.write(bytes));
      const reader = new FrameReader();
      const received: Message[] = [];
      socket.on('data', (chunk: Buffer) => received.push(...reader.push(chunk).map((p) => codec.decode(p))));
      socket.on('error', () => undefined);
      await new Promise((resolve) => socket.once('close', resolve));
      const close = received.find((m) => m.kind === 'close');
      assert.ok(close?.kind === 'close' && close.code === 'AUTHENTICATION', JSON.stringify(received));
      assert.ok(!received.some((m) => m.kind === 'result'), 'no RESULT');
      assert.equal(s.object.calls, 0, 'the method never ran');
    } finally {
      await s.close();
    }
  });
});
