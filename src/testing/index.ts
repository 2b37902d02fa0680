/** `herd-zk/testing`: servers for tests. */
export { TestingServer } from './testing-server.js';
