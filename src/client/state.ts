import type { HerdError } from '../errors.js';

/**
 * The client's connection state. What each one lets a recipe assume:
 *
 * - `idle`: created, {@link Client.connect} not called yet.
 * - `connecting`: establishing a new session; there is none yet.
 * - `connected`: a session is established and a server answers; ephemerals
 *   and watches are in place.
 * - `connectedReadOnly`: connected to a server that lost its quorum
 *   (only when the `readOnly` option allows it): reads work, writes fail
 *   with NotReadOnlyError. The client looks for a read-write server
 *   meanwhile and moves there (`disconnected`, then `connected`).
 * - `disconnected` (suspended): the connection was lost and the client is
 *   reconnecting. The session may still be alive on the ensemble, so
 *   ephemerals may exist and locks may still be held, but nothing can be
 *   confirmed: pause work that needs them. Requests wait for the reconnect.
 * - `expired` (lost): the ensemble ended the session, or the client
 *   declared it lost after `sessionLostTimeout` without any server. Its ephemerals are
 *   gone and its watches will never fire. A new session can be started with
 *   {@link Client.connect}.
 * - `authFailed`: the server refused the credentials and closed the
 *   connection; requests fail with AuthFailedError.
 * - `closed`: {@link Client.close} was called; terminal.
 */
export type ClientState =
  | 'idle'
  | 'connecting'
  | 'connected'
  | 'connectedReadOnly'
  | 'disconnected'
  | 'expired'
  | 'authFailed'
  | 'closed';

/** The legal moves: from each state, the states it may go to. */
const transitions: Readonly<Record<ClientState, readonly ClientState[]>> = {
  idle: ['connecting', 'closed'],
  connecting: ['connected', 'connectedReadOnly', 'expired', 'authFailed', 'closed'],
  connected: ['disconnected', 'expired', 'authFailed', 'closed'],
  connectedReadOnly: ['disconnected', 'expired', 'authFailed', 'closed'],
  disconnected: ['connected', 'connectedReadOnly', 'expired', 'authFailed', 'closed'],
  expired: ['connecting', 'closed'],
  authFailed: ['connecting', 'closed'],
  closed: [],
};

/** True when the state machine allows `from` → `to`. */
export function isLegalTransition(from: ClientState, to: ClientState): boolean {
  return transitions[from].includes(to);
}

/** The payload of every state event. */
export interface StateChange {
  /** The state left. */
  readonly from: ClientState;
  /** The state entered (also the event's name). */
  readonly to: ClientState;
  /** The session id after the move (0n when there is none). */
  readonly sessionId: bigint;
  /** Why, for moves caused by a failure (connection loss, expiry, auth failure). */
  readonly reason?: HerdError;
}
