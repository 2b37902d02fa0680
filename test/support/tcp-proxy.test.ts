import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { freePort, freePorts } from './ports.js';
import { startProxy } from './tcp-proxy.js';

/** Connect and collect everything the socket receives. */
async function client(port: number): Promise<{ socket: Socket; received: () => string; closed: Promise<unknown> }> {
  const socket = connect({ host: '127.0.0.1', port });
  let data = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (data += chunk));
  socket.on('error', () => undefined);
  const closed = once(socket, 'close');
  await once(socket, 'connect');
  return { socket, received: () => data, closed };
}

async function until(check: () => boolean, what: string, timeoutMs = 2_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('freePort', () => {
  it('returns bindable distinct ports', async () => {
    const port = await freePort();
    assert.ok(port > 0 && port < 65536);
    const ports = await freePorts(5);
    assert.equal(new Set(ports).size, 5);
  });
});

describe('tcp proxy', () => {
  let echo: Server;
  let echoPort: number;

  before(async () => {
    echo = createServer((s) => s.pipe(s));
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
    echoPort = (echo.address() as { port: number }).port;
  });
  after(() => {
    echo.close();
  });

  it('forwards bytes both ways', async () => {
    const proxy = await startProxy('127.0.0.1', echoPort);
    try {
      assert.equal(proxy.connectionString, `127.0.0.1:${proxy.port}`);
      const c = await client(proxy.port);
      c.socket.write('hello');
      await until(() => c.received() === 'hello', 'echo');
      assert.equal(proxy.connectionCount, 1);
      c.socket.destroy();
      await until(() => proxy.connectionCount === 0, 'pair teardown');
    } finally {
      await proxy.close();
    }
  });

  it('drops current connections but accepts new ones', async () => {
    const proxy = await startProxy('127.0.0.1', echoPort);
    try {
      const c = await client(proxy.port);
      proxy.dropConnections();
      await c.closed;
      const d = await client(proxy.port);
      d.socket.write('again');
      await until(() => d.received() === 'again', 'echo after drop');
      d.socket.destroy();
    } finally {
      await proxy.close();
    }
  });

  it('blackholes without closing, then delivers held bytes in order', async () => {
    const proxy = await startProxy('127.0.0.1', echoPort);
    try {
      const c = await client(proxy.port);
      c.socket.write('a');
      await until(() => c.received() === 'a', 'first echo');
      proxy.blackhole(true);
      c.socket.write('b');
      c.socket.write('c');
      // A client connecting during the partition is accepted but goes nowhere.
      const late = await client(proxy.port);
      late.socket.write('late');
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(c.received(), 'a');
      assert.equal(late.received(), '');
      assert.equal(c.socket.destroyed, false);
      proxy.blackhole(false);
      await until(() => c.received() === 'abc', 'held bytes');
      await until(() => late.received() === 'late', 'late client linked');
      c.socket.destroy();
      late.socket.destroy();
    } finally {
      await proxy.close();
    }
  });

  it('refuses new connections while rejecting', async () => {
    const proxy = await startProxy('127.0.0.1', echoPort);
    try {
      const existing = await client(proxy.port);
      await proxy.reject(true);
      const refused = connect({ host: '127.0.0.1', port: proxy.port });
      const [err] = (await once(refused, 'error').catch((e: unknown) => [e])) as [NodeJS.ErrnoException];
      assert.equal(err.code, 'ECONNREFUSED');
      existing.socket.write('still');
      await until(() => existing.received() === 'still', 'existing connection keeps working');
      await proxy.reject(false);
      const back = await client(proxy.port);
      back.socket.write('back');
      await until(() => back.received() === 'back', 'accepting again');
      existing.socket.destroy();
      back.socket.destroy();
    } finally {
      await proxy.close();
    }
  });

  it('adds latency while preserving order', async () => {
    const proxy = await startProxy('127.0.0.1', echoPort);
    try {
      proxy.setLatency(100);
      const c = await client(proxy.port);
      const sent = Date.now();
      c.socket.write('1');
      c.socket.write('2');
      await until(() => c.received() === '12', 'delayed echo');
      // 100 ms each way through the proxy.
      assert.ok(Date.now() - sent >= 180, `round trip took ${Date.now() - sent} ms`);
      c.socket.destroy();
    } finally {
      await proxy.close();
    }
  });

  it('closes the client when the target is down', async () => {
    const proxy = await startProxy('127.0.0.1', await freePort());
    try {
      const c = await client(proxy.port);
      await c.closed;
    } finally {
      await proxy.close();
    }
  });
});
