/**
 * The serving side of the rpc benchmark, alone in its own process so its
 * CPU time is separable: one echo service (the argument comes back) in one
 * of four systems. Prints one JSON line `{ "port": n }` once it serves, then
 * runs until killed.
 *
 *   node rpc-server.js '{"kind": "herd", "coordination": "127.0.0.1:2181", "name": "echo"}'
 *   node rpc-server.js '{"kind": "grpc"}' | '{"kind": "raw"}'
 *   node rpc-server.js '{"kind": "moleculer", "port": 4001, "clientPort": 4002}'
 */
import { createServer, type Server, type Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { ServiceBroker } from 'moleculer';
import { createClient } from '../src/client/index.js';
import { serve } from '../src/rpc/index.js';
import { Echo, GRPC_SERVICE, type RpcServerConfig } from './rpc-service.js';

async function start(config: RpcServerConfig): Promise<number> {
  switch (config.kind) {
    case 'herd': {
      const client = createClient(config.coordination!, { sessionTimeout: 30000 });
      await client.connect();
      const served = await serve(client, config.name!, new Echo(), { expose: ['echo'] });
      return Number(served.address.slice(served.address.lastIndexOf(':') + 1));
    }
    case 'grpc': {
      const server = new grpc.Server();
      server.addService(GRPC_SERVICE, {
        echo: (call: grpc.ServerUnaryCall<string, string>, callback: grpc.sendUnaryData<string>) => callback(null, call.request),
      });
      const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))),
      );
      // grpc-js turns Nagle off on its client sockets but not on the server's (Node's http2 server leaves
      // it on), so a reply's HEADERS, DATA and trailers could wait on delayed ACKs. Herd, Moleculer and
      // the raw ping-pong all set TCP_NODELAY on both sides; grpc-js gets the same here.
      const http2Servers = (server as unknown as { http2Servers: Map<Server, unknown> }).http2Servers;
      for (const s of http2Servers.keys()) s.on('connection', (socket: Socket) => socket.setNoDelay(true));
      return port;
    }
    case 'moleculer': {
      const broker = new ServiceBroker({
        nodeID: 'server',
        logger: false,
        transporter: { type: 'TCP', options: { udpDiscovery: false, port: config.port, urls: `127.0.0.1:${config.clientPort}/client` } },
      });
      broker.createService({ name: 'bench', actions: { echo: (ctx) => (ctx.params as { p: string }).p } });
      await broker.start();
      return config.port!;
    }
    case 'raw': {
      // Length-prefixed frames echoed back as they are: the ceiling of any rpc over one TCP connection.
      const server = createServer((socket) => {
        socket.setNoDelay(true);
        let pending: Buffer = Buffer.alloc(0);
        socket.on('data', (chunk: Buffer) => {
          pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
          let end = 0;
          while (pending.length - end >= 4) {
            const length = pending.readUInt32BE(end);
            if (pending.length - end < 4 + length) break;
            end += 4 + length;
          }
          if (end > 0) {
            socket.write(pending.subarray(0, end));
            pending = pending.subarray(end);
          }
        });
      });
      return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
    }
  }
}

const port = await start(JSON.parse(process.argv[2]!) as RpcServerConfig);
process.stdout.write(`${JSON.stringify({ port })}\n`);
// An orderly exit on SIGINT, so that --cpu-prof writes its profile.
process.on('SIGINT', () => process.exit(0));
