/** `herd-zk`: Herd's server, client, wire protocol types and errors. */
export { startServer, type ServerHandle } from './server/server.js';
export type { ServerOptions, TlsOptions, ClientAuthMode } from './server/options.js';
export type { Logger, LogLevel } from './server/logger.js';
export * from './errors.js';
export type { WaitOptions } from './base/wait.js';
export type { Clock } from './base/clock.js';
export {
  CreateMode,
  Perms,
  EventType,
  KeeperState,
  AddWatchMode,
  WatcherType,
  ErrorCode,
  type Stat,
  type ACL,
  type Id,
} from './jute/index.js';
export * from './client/index.js';
