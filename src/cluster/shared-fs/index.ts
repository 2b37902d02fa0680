/** The sharedFs cluster backend: a shared directory and UDP heartbeats, no coordination server. */
export { SharedFsBackend } from './backend.js';
export type { SharedFsOptions } from './options.js';
export { DEFAULT_HEARTBEAT_PORT } from './options.js';
export { readSharedFsView, type ReadSharedFsViewOptions } from './view.js';
