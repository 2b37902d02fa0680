import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { describe, it } from 'node:test';
import { freeUdpPort, freeUdpPorts, startUdpRelay } from './udp-relay.js';

/** A bound UDP socket that records what it receives. */
async function endpoint(port = 0): Promise<{ socket: Socket; port: number; received: string[] }> {
  const socket = createSocket('udp4');
  const received: string[] = [];
  socket.on('message', (m) => received.push(m.toString()));
  await new Promise<void>((resolve) => socket.bind({ port, address: '127.0.0.1' }, () => resolve()));
  return { socket, port: socket.address().port, received };
}

async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const send = (from: Socket, port: number, text: string): void => from.send(text, port, '127.0.0.1');

describe('udp relay', () => {
  it('hands out bindable free ports', async () => {
    const port = await freeUdpPort();
    const ports = await freeUdpPorts(4);
    assert.equal(new Set(ports).size, 4);
    const e = await endpoint(port);
    e.socket.close();
  });

  it('forwards, drops all, isolates one node, restores', async () => {
    const relay = await startUdpRelay();
    const [a, b, c] = await Promise.all([endpoint(), endpoint(), endpoint()]);
    try {
      const fa = await relay.add('a', a.port);
      const fb = await relay.add('b', b.port);
      const fc = await relay.add('c', c.port);
      assert.equal(relay.frontPort('b'), fb);

      send(a.socket, fb, 'a>b 1');
      send(b.socket, fa, 'b>a 1');
      await until(() => b.received.includes('a>b 1') && a.received.includes('b>a 1'), 'forwarding both ways');

      relay.dropAll(true);
      const droppedBefore = relay.dropped;
      send(a.socket, fb, 'a>b 2');
      send(c.socket, fa, 'c>a 2');
      await until(() => relay.dropped === droppedBefore + 2, 'drops');
      relay.dropAll(false);

      relay.isolate('a', true);
      send(a.socket, fc, 'a>c 3'); // from the isolated node: dropped
      send(b.socket, fa, 'b>a 3'); // to it: dropped
      send(b.socket, fc, 'b>c 3'); // between the others: forwarded
      await until(() => c.received.includes('b>c 3'), 'traffic between the others');
      await until(() => relay.dropped === droppedBefore + 4, 'isolation drops');

      relay.restore();
      send(a.socket, fc, 'a>c 4');
      send(b.socket, fa, 'b>a 4');
      await until(() => c.received.includes('a>c 4') && a.received.includes('b>a 4'), 'traffic after restore');
      assert.ok(!b.received.includes('a>b 2') && !c.received.includes('a>c 3') && !a.received.includes('b>a 3'));
      assert.ok(!a.received.includes('c>a 2'));
    } finally {
      await relay.close();
      for (const e of [a, b, c]) e.socket.close();
    }
  });
});
