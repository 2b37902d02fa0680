import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { SocketOutput } from '../../src/jute/socket-output.js';

describe('SocketOutput', () => {
  it('delivers every flushed byte in order, with a fast and with a stalled reader (buffers reused, then copied)', async () => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const accepted = once(server, 'connection') as Promise<[Socket]>;
    const client = connect(port, '127.0.0.1');
    await once(client, 'connect');
    const [peer] = await accepted;
    const received: Buffer[] = [];
    peer.on('data', (chunk: Buffer) => received.push(chunk));
    peer.pause(); // stalled: the socket holds the flushed buffers, so later flushes must copy

    const output = new SocketOutput(16, 2);
    const expected: number[] = [];
    let n = 0;
    for (let turn = 0; turn < 400; turn++) {
      if (turn === 200) peer.resume();
      // Frames of varied sizes, some past the writer's initial size, so writers grow and are reused.
      for (let f = 0; f < 1 + (turn % 5); f++) {
        const len = (turn * 7 + f * 13) % 300;
        for (let i = 0; i < len; i++) {
          output.writer.raw(Uint8Array.of(n & 0xff));
          expected.push(n & 0xff);
          n++;
        }
      }
      output.flush(client);
      if (turn % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    output.flush(client); // nothing new: writes nothing
    client.end();
    await once(peer, 'end');
    assert.deepEqual(Buffer.concat(received), Buffer.from(expected));
    peer.destroy();
    server.close();
  });
});
