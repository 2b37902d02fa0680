/** What the rpc benchmark's two sides share: the systems, the server's configuration, the services. */
import type * as grpc from '@grpc/grpc-js';

export type RpcSystem = 'herd' | 'moleculer' | 'grpc' | 'raw';

export interface RpcServerConfig {
  kind: RpcSystem;
  /** herd: the coordination server holding the registry. */
  coordination?: string;
  /** herd: the service name. */
  name?: string;
  /** moleculer: this broker's TCP port, and the client broker's (static discovery, no UDP). */
  port?: number;
  clientPort?: number;
}

/** The grpc service: one unary method, strings carried as their UTF-8 bytes (no protobuf: the cheapest serializer). */
export const GRPC_SERVICE = {
  echo: {
    path: '/bench.Bench/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: (s: string): Buffer => Buffer.from(s),
    requestDeserialize: (b: Buffer): string => b.toString(),
    responseSerialize: (s: string): Buffer => Buffer.from(s),
    responseDeserialize: (b: Buffer): string => b.toString(),
  },
} satisfies grpc.ServiceDefinition;

export class Echo {
  echo(value: string): string {
    return value;
  }
}
