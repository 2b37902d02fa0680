/** The pure tables state machine: definitions, codec, state, apply, snapshots. No I/O. */
export * from './apply.js';
export * from './codec.js';
export * from './definitions.js';
export * from './snapshot.js';
export * from './store.js';
