/** `herd-zk/testing`: servers for tests. */
export { TestingServer } from './testing-server.js';
export type { ServerHandle } from '../server/server.js';
export type { ServerOptions } from '../server/options.js';
