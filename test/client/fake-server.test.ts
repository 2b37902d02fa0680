/**
 * The client against a fake server that misbehaves after a correct
 * handshake: wrong xids, garbage, impossible lengths, truncated bodies,
 * silence. Every case must become a connection loss for that socket
 * (in-flight requests fail with ConnectionLossError, the client reconnects),
 * never an exception out of an event handler.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { createClient, type Client } from '../../src/client/index.js';
import { FrameReader } from '../../src/client/frame-reader.js';
import { ConnectionLossError, HerdError, OperationTimeoutError } from '../../src/errors.js';
import { JuteReader } from '../../src/jute/reader.js';
import { JuteWriter } from '../../src/jute/writer.js';
import { ConnectRequestCodec, ConnectResponseCodec } from '../../src/jute/records/connect.js';
import { ReplyHeaderCodec, RequestHeaderCodec } from '../../src/jute/records/headers.js';
import { StatCodec } from '../../src/jute/records/stat.js';
import { nextEvent, waitFor } from '../support/targets.js';

interface Request {
  xid: number;
  type: number;
}

type Behaviour = (request: Request, reply: (bytes: Buffer) => void, socket: Socket) => void;

function frame(write: (w: JuteWriter) => void): Buffer {
  const w = new JuteWriter();
  const at = w.beginFrame();
  write(w);
  w.endFrame(at);
  return w.take();
}

const STAT = { czxid: 1n, mzxid: 1n, ctime: 0, mtime: 0, version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0n, dataLength: 0, numChildren: 0, pzxid: 1n };

/** Answers the handshake like ZooKeeper, then runs `behaviour` on each request (pings are answered). */
class FakeServer {
  readonly server: Server;
  connections = 0;
  handshakes: { sessionId: bigint; lastZxidSeen: bigint }[] = [];
  behaviour: Behaviour = () => {};
  handshakeReply: ((socket: Socket) => void) | undefined;
  answerPings = true;
  sessionTimeout = 30000;
  private readonly sockets = new Set<Socket>();

  constructor() {
    this.server = createServer((socket) => this.accept(socket));
  }

  get port(): number {
    const a = this.server.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private accept(socket: Socket): void {
    this.connections++;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    const reader = new FrameReader(1 << 20);
    let shaken = false;
    socket.on('data', (chunk: Buffer) => {
      reader.push(chunk, (f) => {
        const r = new JuteReader(f);
        if (!shaken) {
          shaken = true;
          const req = ConnectRequestCodec.read(r);
          this.handshakes.push({ sessionId: req.sessionId, lastZxidSeen: req.lastZxidSeen });
          if (this.handshakeReply) {
            this.handshakeReply(socket);
            return true;
          }
          const sessionId = req.sessionId === 0n ? 0x1234n : req.sessionId;
          socket.write(
            frame((w) =>
              ConnectResponseCodec.write(w, { protocolVersion: 0, timeOut: this.sessionTimeout, sessionId, passwd: Buffer.alloc(16, 1), readOnly: false }),
            ),
          );
          return true;
        }
        const header = RequestHeaderCodec.read(r);
        if (header.type === 11) {
          if (this.answerPings) socket.write(frame((w) => ReplyHeaderCodec.write(w, { xid: -2, zxid: 5n, err: 0 })));
          return true;
        }
        if (header.type === -11) {
          socket.write(frame((w) => ReplyHeaderCodec.write(w, { xid: header.xid, zxid: 5n, err: 0 })));
          socket.end();
          return true;
        }
        this.behaviour(header, (bytes) => socket.write(bytes), socket);
        return true;
      });
    });
  }
}

/** A correct reply to an exists request. */
function existsReply(xid: number, zxid = 7n): Buffer {
  return frame((w) => {
    ReplyHeaderCodec.write(w, { xid, zxid, err: 0 });
    StatCodec.write(w, STAT);
  });
}

describe('client against a misbehaving server', () => {
  let fake: FakeServer;
  let client: Client | undefined;
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown): void => void uncaught.push(err);

  before(() => {
    process.on('uncaughtException', onUncaught);
  });
  after(() => {
    process.off('uncaughtException', onUncaught);
  });
  afterEach(async () => {
    await client?.close();
    client = undefined;
    await fake?.close();
    assert.deepEqual(uncaught, [], 'nothing may escape as an uncaught exception');
  });

  async function start(behaviour: Behaviour, options: { sessionTimeout?: number } = {}): Promise<Client> {
    fake = new FakeServer();
    fake.behaviour = behaviour;
    if (options.sessionTimeout) fake.sessionTimeout = options.sessionTimeout;
    await fake.listen();
    client = createClient(`127.0.0.1:${fake.port}`, { sessionTimeout: fake.sessionTimeout, backoff: { initialDelay: 10, maxDelay: 50 } });
    await client.connect();
    return client;
  }

  /** Issues a request that the fake answers badly, and checks it becomes a connection loss then a resumed session. */
  async function expectLoss(c: Client): Promise<void> {
    const disconnected = nextEvent(c, 'disconnected', 5000);
    await assert.rejects(c.exists('/x'), ConnectionLossError);
    await disconnected;
    await nextEvent(c, 'connected', 5000);
    assert.equal(c.sessionId, 0x1234n, 'the session is resumed');
    assert.equal(fake.handshakes.at(-1)?.sessionId, 0x1234n);
  }

  it('sanity: a correct reply resolves', async () => {
    const c = await start((req, reply) => reply(existsReply(req.xid)));
    assert.deepEqual(await c.exists('/x'), STAT);
    assert.equal(c.lastZxid, 7n);
  });

  it('a reply with the wrong xid is a connection loss', async () => {
    let first = true;
    const c = await start((req, reply) => {
      reply(existsReply(first ? req.xid + 100 : req.xid));
      first = false;
    });
    await expectLoss(c);
    assert.deepEqual(await c.exists('/x'), STAT, 'works after the reconnect');
  });

  it('an unsolicited reply is a connection loss', async () => {
    const c = await start((req, reply) => reply(existsReply(req.xid)));
    const disconnected = nextEvent(c, 'disconnected', 5000);
    // Inject a reply nobody asked for, on the live socket.
    const inject = (): void => {
      for (const s of (fake as unknown as { sockets: Set<Socket> }).sockets) s.write(existsReply(999));
    };
    inject();
    await disconnected;
    await nextEvent(c, 'connected', 5000);
  });

  it('a frame too short for a reply header is a connection loss', async () => {
    let first = true;
    const c = await start((req, reply) => {
      reply(first ? Buffer.from([0, 0, 0, 3, 1, 2, 3]) : existsReply(req.xid));
      first = false;
    });
    await expectLoss(c);
  });

  it('an oversized or negative length is a connection loss', async () => {
    for (const len of [0x7fffffff, 64 * 1024 * 1024, -1, -100]) {
      let first = true;
      const c = await start((req, reply) => {
        const b = Buffer.alloc(8);
        b.writeInt32BE(len);
        reply(first ? b : existsReply(req.xid));
        first = false;
      });
      await expectLoss(c);
      await c.close();
      await fake.close();
    }
    client = undefined;
    fake = new FakeServer();
    await fake.listen();
  });

  it('a truncated reply body is a connection loss', async () => {
    let first = true;
    const c = await start((req, reply) => {
      reply(
        first
          ? frame((w) => {
              ReplyHeaderCodec.write(w, { xid: req.xid, zxid: 7n, err: 0 });
              w.long(1n); // a Stat is 68 bytes
            })
          : existsReply(req.xid),
      );
      first = false;
    });
    await expectLoss(c);
  });

  it('random garbage frames never throw', async () => {
    let seed = 42;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    let n = 0;
    const c = await start((req, reply) => {
      n++;
      if (n % 2 === 0) {
        reply(existsReply(req.xid));
        return;
      }
      const body = Buffer.alloc(Math.floor(random() * 100));
      for (let i = 0; i < body.length; i++) body[i] = Math.floor(random() * 256);
      if (body.length >= 4 && random() < 0.5) body.writeInt32BE(req.xid, 0);
      reply(random() < 0.3 ? body : Buffer.concat([Buffer.from([0, 0, 0, body.length]), body]));
    }, { sessionTimeout: 900 });
    for (let i = 0; i < 30; i++) {
      await c.exists('/x').catch((e: unknown) => {
        if (!(e instanceof HerdError)) throw e;
      });
      if (c.state !== 'connected') await nextEvent(c, 'connected', 5000);
    }
  });

  it('a bad notification is a connection loss', async () => {
    let first = true;
    const c = await start((req, reply) => {
      if (first) {
        first = false;
        reply(
          frame((w) => {
            ReplyHeaderCodec.write(w, { xid: -1, zxid: -1n, err: 0 });
            w.int(3); // type, then nothing
          }),
        );
        return;
      }
      reply(existsReply(req.xid));
    });
    await expectLoss(c);
  });

  it('a silent server is detected by the read timeout', async () => {
    const c = await start(() => {}, { sessionTimeout: 600 });
    fake.answerPings = false;
    const started = Date.now();
    const pending = c.exists('/x');
    await assert.rejects(pending, ConnectionLossError);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 300 && elapsed < 2000, `detected after ${elapsed} ms (read timeout 400 ms)`);
    assert.equal(c.state === 'disconnected' || c.state === 'connected', true);
  });

  it('pings keep an idle connection alive', async () => {
    const c = await start((req, reply) => reply(existsReply(req.xid)), { sessionTimeout: 600 });
    let lost = false;
    c.on('disconnected', () => (lost = true));
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(lost, false);
    assert.equal(c.state, 'connected');
  });

  it('requests issued while disconnected wait and are sent after the reconnect', async () => {
    let drop = true;
    const c = await start((req, reply, socket) => {
      if (drop) {
        drop = false;
        socket.destroy();
        return;
      }
      reply(existsReply(req.xid));
    });
    const port = fake.port;
    fake.server.close(); // no new connections for now: the reconnect waits
    const disconnected = nextEvent(c, 'disconnected', 5000);
    await assert.rejects(c.exists('/in-flight'), ConnectionLossError);
    await disconnected;
    const queued = c.exists('/queued');
    await new Promise((r) => setTimeout(r, 100));
    await new Promise<void>((r) => fake.server.listen(port, '127.0.0.1', r));
    assert.deepEqual(await queued, STAT);
  });

  it('a garbage handshake reply fails the attempt; connect() times out and closes', async () => {
    fake = new FakeServer();
    fake.handshakeReply = (socket) => socket.write(Buffer.from([0, 0, 0, 2, 9, 9]));
    await fake.listen();
    client = createClient(`127.0.0.1:${fake.port}`, { connectTimeout: 500, backoff: { initialDelay: 10, maxDelay: 20 } });
    await assert.rejects(client.connect(), OperationTimeoutError);
    await waitFor(() => client!.state === 'closed', 2000);
    assert.ok(fake.connections >= 2, 'it retried');
  });

  it('a refused session resume is expiry', async () => {
    const c = await start((req, reply, socket) => socket.destroy());
    fake.handshakeReply = (socket) =>
      socket.end(frame((w) => ConnectResponseCodec.write(w, { protocolVersion: 0, timeOut: 0, sessionId: 0n, passwd: Buffer.alloc(16), readOnly: false })));
    const expired = nextEvent(c, 'expired', 5000);
    await assert.rejects(c.exists('/x'), ConnectionLossError);
    await expired;
    assert.equal(c.state, 'expired');
    assert.equal(c.sessionId, 0n);
    await assert.rejects(c.exists('/x'), (e: Error) => e.name === 'SessionExpiredError');
  });
});
