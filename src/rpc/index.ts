/**
 * `herd-zk/rpc`: remote objects. Serve an object on one process, call it
 * from every process through a typed proxy; the registry (the name server)
 * lives in the coordination store. Guide: docs/rpc.md.
 *
 * ```ts
 * import { serve, lookup } from 'herd-zk/rpc';
 * const served = await serve(client, 'metadata', new Metadata(), { expose: ['clusterName'] });
 * const md = await lookup<Metadata>(client, 'metadata');
 * console.log(await md.clusterName());
 * ```
 */
export { serve, type ServeOptions, type Served, type InstanceMode } from './serve.js';
export { batch, type BatchOptions } from './batch.js';
export { remote, releaseRemote, HOLDERS_ROOT, type RemoteOptions } from './references.js';
export { STREAM_WINDOW, type RemoteStream } from './stream.js';
export type { RemoteMethods, RemoteResult, RemoteObject, RemoteRef } from './types.js';
export type { ServedEvents, ServedState } from './serve.js';
export {
  lookup,
  withCallOptions,
  closeRemote,
  DEFAULT_CALL_TIMEOUT,
  type Remote,
  type LookupOptions,
  type RemoteCallOptions,
} from './lookup.js';
export { list, RPC_ROOT, type InstanceInfo, type ServiceInfo } from './registry.js';
export { callContext, type CallContext } from './expose.js';
export { PROTOCOL_NAME, PROTOCOL_VERSION, DEFAULT_MAX_FRAME_SIZE, DEFAULT_MAX_DEPTH, type FrameLimits } from './protocol.js';
export {
  ProtocolError,
  RpcConnectionError,
  NotExposedError,
  RemoteError,
  AuthenticationError,
  ValidationError,
  type ValidationIssue,
} from './errors.js';
export type { ServeTlsOptions, LookupTlsOptions, CallerInfo, CallerCertificate } from './security.js';
export type { Pem, TlsServerOptions, TlsClientOptions } from '../base/tls.js';
export type { MethodSchemas } from './schemas.js';
// What the rpc functions throw besides their own errors (docs/conventions.md, section 1).
export { BadArgumentsError, CancelledError, HerdError, InvalidStateError, TimeoutError } from '../errors.js';
// Pyro4 (docs/pyro4.md): a Pyro4 name server over the registry, and Node objects served to Python proxies.
export {
  servePyro4,
  startPyroNameServer,
  lookupPyro4,
  batchPyro4,
  pyKwargs,
  PyKwargs,
  PythonError,
  PyComplex,
  pyTuple,
  isPyTuple,
  NAMESERVER_OBJECT_ID,
  DEFAULT_PYRO4_NS_PORT,
  type ServePyro4Options,
  type PyroServed,
  type PyroNameServer,
  type PyroNameServerOptions,
  type PyroDaemonOptions,
  type LookupPyro4Options,
  type Pyro4Remote,
  type Pyro4BatchCall,
  type PyroSerializerName,
  type ServeOverPyro4Options,
} from './pyro/index.js';
