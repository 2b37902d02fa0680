import { serverInstance } from '../../src/server/server.js';
import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createClient, digestId, type Client } from '../../src/client/index.js';
import { Perms } from '../../src/jute/enums.js';
import { Ops } from '../../src/jute/ops/index.js';
import type { MultiOp } from '../../src/jute/ops/multi.js';
import type { ACL } from '../../src/jute/records/acl.js';
import { ConnectRequestCodec } from '../../src/jute/records/connect.js';
import { RequestHeaderCodec } from '../../src/jute/records/headers.js';
import { JuteWriter } from '../../src/jute/writer.js';
import type { Logger } from '../../src/server/logger.js';
import { TestingServer } from '../../src/testing/testing-server.js';

/**
 * Fuzzing the server over real sockets: many connections send thousands of
 * random frames, valid requests of every op with hostile arguments, and
 * valid frames mutated (bit flips, overwritten ints, truncation, junk tails,
 * wrong lengths, random op codes), before and after the handshake. The
 * server runs in this process with 'uncaughtException' and
 * 'unhandledRejection' hooked, so any throw that escapes fails the test; an
 * error-level log (a handler that threw and was caught by the connection) fails it too.
 *
 * A checker client owns /protected (digest ACL, so no fuzz connection can
 * touch it legitimately) and reads the whole subtree, data, stats and ACLs,
 * before the storm, after it, and after a restart from the data directory
 * the storm was logged to: all three are identical.
 *
 * The PRNG is seeded: FUZZ_SEED=<n> replays a run.
 */

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
const CONNECTIONS = 300;
const PARALLEL = 24;
const CHECKER_AUTH = 'checker:s3cret-checker';

class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** mulberry32 */
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  int(n: number): number {
    return this.u32() % n;
  }
  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n + 3);
    for (let i = 0; i < n; i += 4) b.writeUInt32LE(this.u32(), i);
    return b.subarray(0, n);
  }
  /** Ints that tend to break length and count fields. */
  nastyInt(): number {
    return this.pick([0, 1, -1, 2, 0x7fffffff, -0x80000000, 0xfffff, 0x100000, 16, 255, 256, 65535, this.u32() | 0, -2, -4, -8, -11]);
  }
}

const NAMES = ['a', 'b', 'c', 'zookeeper', 'protected', 'fuzz', 'x-', '', '.', '..', 'é', '\u0000', '\u0001', '\ud800', 'long'.repeat(60)];

function randomPath(rng: Rng): string {
  if (rng.chance(0.05)) return rng.pick(['', '/', '//', 'noslash', '/fuzz/', '/protected/', '/zookeeper/quota', '/zookeeper/config', '/fuzz/./a', '/fuzz/../protected']);
  if (rng.chance(0.03)) return rng.bytes(rng.int(20)).toString('latin1');
  const root = rng.pick(['/fuzz', '/fuzz', '/fuzz', '/protected', '/zookeeper', '', '/fuzz/c']);
  let p = root;
  const depth = rng.int(3);
  for (let i = 0; i < depth; i++) p += '/' + rng.pick(NAMES);
  return p === '' ? '/' : p;
}

function randomAcl(rng: Rng): ACL[] {
  const perms = rng.chance(0.8) ? rng.pick([Perms.all, Perms.read, Perms.create | Perms.delete, 0]) : rng.nastyInt();
  const choices: ACL[][] = [
    [{ perms, id: { scheme: 'world', id: 'anyone' } }],
    [{ perms, id: { scheme: 'digest', id: digestId('fuzz', 'fuzz') } }],
    [{ perms, id: { scheme: 'auth', id: '' } }],
    [{ perms, id: { scheme: 'ip', id: rng.pick(['127.0.0.1', '10.0.0.0/8', '::1', '300.1.1.1', '127.0.0.1/99']) } }],
    [{ perms, id: { scheme: 'x509', id: 'CN=x' } }],
    [{ perms, id: { scheme: 'super', id: '' } }],
    [],
    [{ perms, id: { scheme: rng.bytes(3).toString('latin1'), id: rng.bytes(5).toString('latin1') } }],
  ];
  return rng.pick(choices);
}

const randomData = (rng: Rng): Buffer | null => (rng.chance(0.1) ? null : rng.bytes(rng.int(rng.chance(0.05) ? 5000 : 64)));
const randomVersion = (rng: Rng): number => (rng.chance(0.5) ? -1 : rng.chance(0.5) ? rng.int(4) : rng.nastyInt());
const randomFlags = (rng: Rng): number => (rng.chance(0.8) ? rng.int(7) : rng.nastyInt());

function randomMultiOp(rng: Rng, read: boolean): MultiOp {
  if (read) return { type: rng.pick(['getData', 'getChildren'] as const), request: { path: randomPath(rng), watch: rng.chance(0.3) } };
  switch (rng.int(6)) {
    case 0:
      return { type: rng.pick(['create', 'create2', 'createContainer'] as const), request: { path: randomPath(rng), data: randomData(rng), acl: randomAcl(rng), flags: randomFlags(rng) } };
    case 1:
      return { type: 'createTTL', request: { path: randomPath(rng), data: randomData(rng), acl: randomAcl(rng), flags: randomFlags(rng), ttl: rng.chance(0.5) ? 1000 : rng.nastyInt() } };
    case 2:
      return { type: rng.pick(['delete', 'check'] as const), request: { path: randomPath(rng), version: randomVersion(rng) } };
    case 3:
      return { type: 'setData', request: { path: randomPath(rng), data: randomData(rng), version: randomVersion(rng) } };
    default:
      return { type: rng.pick(['getData', 'getChildren'] as const), request: { path: randomPath(rng), watch: false } };
  }
}

const strings = (rng: Rng): string[] => Array.from({ length: rng.int(4) }, () => randomPath(rng));

/** A request body for one op, written with its own codec. */
function writeBody(rng: Rng, w: JuteWriter, name: keyof typeof Ops): void {
  const path = randomPath(rng);
  const watch = rng.chance(0.3);
  switch (name) {
    case 'create':
    case 'create2':
    case 'createContainer':
      return Ops[name].request.write(w, { path, data: randomData(rng), acl: randomAcl(rng), flags: randomFlags(rng) });
    case 'createTTL':
      return Ops.createTTL.request.write(w, { path, data: randomData(rng), acl: randomAcl(rng), flags: randomFlags(rng), ttl: rng.chance(0.5) ? 1 + rng.int(100_000) : rng.nastyInt() });
    case 'delete':
    case 'deleteContainer':
    case 'check':
      return Ops[name].request.write(w, { path, version: randomVersion(rng) });
    case 'exists':
    case 'getData':
    case 'getChildren':
    case 'getChildren2':
      return Ops[name].request.write(w, { path, watch });
    case 'setData':
      return Ops.setData.request.write(w, { path, data: randomData(rng), version: randomVersion(rng) });
    case 'getACL':
    case 'sync':
    case 'getAllChildrenNumber':
      return Ops[name].request.write(w, { path });
    case 'setACL':
      return Ops.setACL.request.write(w, { path, acl: randomAcl(rng), version: randomVersion(rng) });
    case 'getEphemerals':
      return Ops.getEphemerals.request.write(w, { prefixPath: path });
    case 'multi':
    case 'multiRead': {
      const ops = Array.from({ length: 1 + rng.int(5) }, () => randomMultiOp(rng, name === 'multiRead' ? true : rng.chance(0.1)));
      return Ops[name].request.write(w, { ops });
    }
    case 'reconfig':
      return Ops.reconfig.request.write(w, { joiningServers: rng.chance(0.5) ? null : 'server.1=127.0.0.1:1:2', leavingServers: null, newMembers: null, curConfigId: -1n });
    case 'checkWatches':
    case 'removeWatches':
      return Ops[name].request.write(w, { path, type: rng.chance(0.8) ? 1 + rng.int(3) : rng.nastyInt() });
    case 'addWatch':
      return Ops.addWatch.request.write(w, { path, mode: rng.chance(0.8) ? rng.int(2) : rng.nastyInt() });
    case 'auth':
      return Ops.auth.request.write(w, {
        type: 0,
        scheme: rng.pick(['digest', 'digest', 'ip', 'world', 'super', 'x509', 'sasl', '']),
        auth: rng.chance(0.7) ? Buffer.from(rng.pick(['fuzz:fuzz', 'checker:wrong', 'super:x', 'nocolon', ''])) : rng.bytes(rng.int(30)),
      });
    case 'setWatches':
      return Ops.setWatches.request.write(w, { relativeZxid: BigInt(rng.int(1000)), dataWatches: strings(rng), existWatches: strings(rng), childWatches: strings(rng) });
    case 'setWatches2':
      return Ops.setWatches2.request.write(w, {
        relativeZxid: rng.chance(0.5) ? 0n : BigInt(rng.nastyInt()),
        dataWatches: strings(rng),
        existWatches: strings(rng),
        childWatches: strings(rng),
        persistentWatches: strings(rng),
        persistentRecursiveWatches: strings(rng),
      });
    case 'sasl':
      return Ops.sasl.request.write(w, { token: rng.bytes(rng.int(40)) });
    case 'ping':
    case 'whoAmI':
    case 'closeSession':
      return;
  }
}

/** Ops after which the server may end the connection (unknown to a standalone server, auth failures, closeSession). */
const ENDING_OPS: ReadonlyArray<keyof typeof Ops> = ['closeSession', 'check', 'deleteContainer', 'reconfig', 'sasl', 'auth'];
const OP_NAMES = (Object.keys(Ops) as Array<keyof typeof Ops>).filter((n) => !ENDING_OPS.includes(n));

/** A valid request frame (length prefix included) of a random op; now and then one that may end the connection. */
function validFrame(rng: Rng, xid: number): Buffer {
  const name = rng.chance(0.003) ? rng.pick(ENDING_OPS) : rng.pick(OP_NAMES);
  const op = Ops[name];
  const w = new JuteWriter();
  const at = w.beginFrame();
  const specialXid = name === 'ping' ? -2 : name === 'auth' ? -4 : xid;
  RequestHeaderCodec.write(w, { xid: rng.chance(0.05) ? rng.nastyInt() : specialXid, type: op.code });
  writeBody(rng, w, name);
  w.endFrame(at);
  return w.take();
}

/** Mutates a frame: flips, overwritten ints, truncation, junk; usually keeps the length prefix consistent. */
function mutate(rng: Rng, frame: Buffer): Buffer {
  let body = Buffer.from(frame.subarray(4));
  const rounds = 1 + rng.int(3);
  for (let i = 0; i < rounds; i++) {
    switch (rng.int(7)) {
      case 0:
        if (body.length) body[rng.int(body.length)]! ^= 1 << rng.int(8);
        break;
      case 1:
        if (body.length) body[rng.int(body.length)] = rng.int(256);
        break;
      case 2:
        if (body.length >= 4) body.writeInt32BE(rng.nastyInt(), rng.int(body.length - 3));
        break;
      case 3:
        body = body.subarray(0, rng.int(body.length + 1));
        break;
      case 4:
        body = Buffer.concat([body, rng.bytes(1 + rng.int(40))]);
        break;
      case 5:
        // Another op code, random or known, under the same body.
        if (body.length >= 8) body.writeInt32BE(rng.chance(0.5) ? rng.pick(Object.values(Ops)).code : rng.nastyInt(), 4);
        break;
      default:
        if (body.length >= 4) body.writeInt32BE(rng.nastyInt(), 0);
    }
  }
  const out = Buffer.alloc(4 + body.length);
  body.copy(out, 4);
  // A wrong length now and then: short (the rest is parsed as the next frame) or long (waits for bytes that never come, or reads into the next).
  const len = rng.chance(0.9) ? body.length : Math.max(0, body.length + rng.pick([-4, -1, 1, 7, 100]));
  out.writeInt32BE(rng.chance(0.01) ? rng.nastyInt() : len, 0);
  return out;
}

function randomFrame(rng: Rng): Buffer {
  const body = rng.bytes(rng.int(rng.chance(0.1) ? 3000 : 64));
  const out = Buffer.alloc(4 + body.length);
  out.writeInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

function connectFrame(rng: Rng): Buffer {
  const w = new JuteWriter();
  const at = w.beginFrame();
  ConnectRequestCodec.write(w, {
    protocolVersion: 0,
    lastZxidSeen: rng.chance(0.9) ? 0n : BigInt(rng.nastyInt()),
    timeOut: rng.chance(0.9) ? 4000 + rng.int(10_000) : rng.nastyInt(),
    sessionId: rng.chance(0.9) ? 0n : BigInt(rng.u32()),
    passwd: rng.chance(0.95) ? Buffer.alloc(16) : rng.bytes(rng.int(40)),
    ...(rng.chance(0.5) ? { readOnly: rng.chance(0.5) } : {}),
  });
  w.endFrame(at);
  return w.take();
}

interface Totals {
  frames: number;
  bytes: number;
  replyBytes: number;
  replies: number;
  /** The error code of the last reply before the server hung up: why connections end. */
  lastErrBeforeClose: Record<string, number>;
  closedByServer: number;
}

/** One fuzz connection: a handshake (usually valid), then frames in random-sized writes; replies are read and dropped. */
function fuzzConnection(port: number, rng: Rng, totals: Totals): Promise<void> {
  return new Promise((resolve) => {
    const socket: Socket = netConnect({ host: '127.0.0.1', port });
    let done = false;
    let serverClosed = true;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(idle);
      if (serverClosed) {
        totals.closedByServer++;
        totals.lastErrBeforeClose[lastErr] = (totals.lastErrBeforeClose[lastErr] ?? 0) + 1;
      }
      socket.destroy();
      resolve();
    };
    let idle: NodeJS.Timeout | undefined;
    let allSent = false;
    // Hang up once everything is sent and the server has said nothing more for a while (unless it hung up first).
    const armIdle = () => {
      if (!allSent) return;
      clearTimeout(idle);
      idle = setTimeout(() => {
        serverClosed = false;
        finish();
      }, 1000);
    };
    let rbuf: Buffer = Buffer.alloc(0);
    let lastErr = 'none';
    socket.on('data', (chunk: Buffer) => {
      totals.replyBytes += chunk.length;
      rbuf = rbuf.length ? Buffer.concat([rbuf, chunk]) : chunk;
      while (rbuf.length >= 4 && rbuf.length >= 4 + rbuf.readInt32BE(0)) {
        const len = rbuf.readInt32BE(0);
        totals.replies++;
        if (len >= 16) lastErr = String(rbuf.readInt32BE(16));
        rbuf = rbuf.subarray(4 + len);
      }
      armIdle();
    });
    socket.on('error', finish);
    socket.on('close', finish);
    socket.once('connect', async () => {
      const parts: Buffer[] = [];
      const kind = rng.int(100);
      if (kind < 80) parts.push(connectFrame(rng));
      else if (kind < 92) parts.push(mutate(rng, connectFrame(rng)));
      else if (kind < 95) parts.push(Buffer.from(rng.pick(['ruok', 'srvr', 'stat', 'kill', 'dump', 'mntr', 'xxxx'])));
      else parts.push(rng.bytes(rng.int(200)));
      // Most connections are mostly well-formed, so requests get deep into the server before a bad frame ends them.
      const [validPct, mutatedPct] = rng.pick([[100, 0], [99, 1], [97, 2], [90, 8], [60, 35]] as const);
      const n = 10 + rng.int(150);
      for (let i = 0; i < n; i++) {
        const r = rng.int(100);
        parts.push(r < validPct ? validFrame(rng, i + 1) : r < validPct + mutatedPct ? mutate(rng, validFrame(rng, i + 1)) : randomFrame(rng));
      }
      totals.frames += parts.length;
      const all = Buffer.concat(parts);
      totals.bytes += all.length;
      // Random write sizes: frames split across chunks and packed several to a chunk.
      let off = 0;
      while (off < all.length && !socket.destroyed) {
        const size = 1 + rng.int(rng.chance(0.2) ? 8 : 2048);
        socket.write(all.subarray(off, off + size));
        off += size;
        if (rng.chance(0.1)) await new Promise((r) => setImmediate(r));
      }
      allSent = true;
      armIdle();
    });
  });
}

interface NodeView {
  path: string;
  data: string | null;
  stat: unknown;
  acl: unknown;
  children: string[];
}

async function readSubtree(client: Client, path: string, out: NodeView[] = []): Promise<NodeView[]> {
  const { data, stat } = await client.getData(path);
  const { acl } = await client.getACL(path);
  const children = ((await client.getChildren(path)) as string[]).slice().sort();
  out.push({ path, data: data === null ? null : data.toString('hex'), stat: JSON.parse(JSON.stringify(stat, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))), acl, children });
  for (const c of children) await readSubtree(client, `${path}/${c}`, out);
  return out;
}

async function checker(connectionString: string): Promise<Client> {
  const client = createClient(connectionString, { auth: [{ scheme: 'digest', credentials: CHECKER_AUTH }], connectTimeout: 5000 });
  await client.connect();
  return client;
}

describe(`server fuzz (FUZZ_SEED=${SEED})`, () => {
  const escaped: unknown[] = [];
  const onEscape = (err: unknown) => escaped.push(err);
  const errorLogs: string[] = [];
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: () => {},
    error: (obj, msg) => errorLogs.push(`${msg ?? ''} ${JSON.stringify(obj, (_k, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Error ? v.stack : v))}`),
  };
  before(() => {
    process.on('uncaughtException', onEscape);
    process.on('unhandledRejection', onEscape);
  });
  after(() => {
    process.off('uncaughtException', onEscape);
    process.off('unhandledRejection', onEscape);
  });

  it('survives thousands of random and mutated frames on many connections, and the protected subtree is unchanged (live and after a restart)', async () => {
    const zk = await TestingServer.start({ logger, maxClientConnections: 0, tickTime: 500, containerCheckInterval: 200 });
    const checkerIds = [{ perms: Perms.all, id: { scheme: 'digest', id: digestId('checker', 's3cret-checker') } }];
    let owner: Client | null = await checker(zk.connectionString);
    try {
      await owner.create('/protected', 'root of what must not change', { acl: checkerIds });
      for (let i = 0; i < 5; i++) {
        await owner.create(`/protected/c${i}`, Buffer.from([i, 0, 255, i]), { acl: checkerIds });
        for (let j = 0; j < 3; j++) await owner.create(`/protected/c${i}/g${j}`, `grandchild ${i}.${j}`, { acl: checkerIds });
      }
      await owner.setData('/protected/c1', 'changed once');
      await owner.create('/fuzz', 'playground');
      const before = await readSubtree(owner, '/protected');

      const rng = new Rng(SEED);
      const totals: Totals = { frames: 0, bytes: 0, replyBytes: 0, replies: 0, closedByServer: 0, lastErrBeforeClose: {} };
      const started = performance.now();
      let next = 0;
      const worker = async () => {
        while (next < CONNECTIONS) {
          next++;
          await fuzzConnection(zk.port, new Rng(rng.u32()), totals);
        }
      };
      await Promise.all(Array.from({ length: PARALLEL }, worker));
      const seconds = (performance.now() - started) / 1000;
      process.stdout.write(
        `# fuzz seed ${SEED}: ${CONNECTIONS} connections, ${totals.frames} frames, ${(totals.bytes / 1024).toFixed(0)} KiB sent, ` +
          `${totals.replies} replies (${(totals.replyBytes / 1024).toFixed(0)} KiB), ${totals.closedByServer} closed by the server ` +
          `(last reply's err: ${JSON.stringify(totals.lastErrBeforeClose)}), ${seconds.toFixed(1)} s\n`,
      );
      assert.ok(totals.frames >= 10_000, `only ${totals.frames} frames`);
      assert.deepEqual(escaped, [], 'nothing escaped to uncaughtException/unhandledRejection');
      assert.deepEqual(errorLogs, [], 'no request failed with an unexpected error');

      // Still serving, the books are balanced, and the protected subtree is as it was.
      const live = await readSubtree(owner, '/protected');
      assert.deepEqual(live, before);
      await waitFor(() => serverInstance(zk).connectionCount === 1, 5000);
      assert.equal(serverInstance(zk).outstandingRequests, 0, 'every request answered or settled');
      assert.equal(serverInstance(zk).throttledConnectionCount, 0);

      // Everything the storm wrote was logged in a form recovery accepts.
      await owner.close();
      owner = null;
      await zk.restart();
      owner = await checker(zk.connectionString);
      assert.deepEqual(await readSubtree(owner, '/protected'), before);
      assert.deepEqual(escaped, []);
      assert.deepEqual(errorLogs, []);
    } finally {
      await owner?.close();
      await zk.close();
    }
  });
});

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
