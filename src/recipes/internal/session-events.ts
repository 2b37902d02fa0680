/**
 * One subscription point per client for the session's state events.
 *
 * Every recipe, served rpc object or cache reacts to the client's state
 * (re-create on `connected`, give up on `expired`, ...). If each one added
 * its own listeners, one client serving a dozen objects would pass Node's
 * limit of 10 listeners per event and print MaxListenersExceededWarning, a
 * leak warning that is no leak. So a client gets one hub: it adds one
 * listener per state while it has subscribers (and removes them when the
 * last one leaves), and calls each subscriber's handler for the state
 * entered. A subscriber unsubscribes on close: the client then has as many
 * listeners as before anything subscribed.
 */
import type { Client, ClientState, StateChange } from '../../client/index.js';

/** What to call for each state entered; states without a handler are ignored. */
export type SessionHandlers = Partial<Record<ClientState, (change: StateChange) => void>>;

const STATES: readonly ClientState[] = ['idle', 'connecting', 'connected', 'connectedReadOnly', 'disconnected', 'expired', 'authFailed', 'closed'];

class SessionHub {
  private readonly subscribers = new Set<SessionHandlers>();
  private readonly listeners = new Map<ClientState, (change: StateChange) => void>();

  constructor(private readonly client: Client) {}

  add(handlers: SessionHandlers): void {
    if (this.subscribers.size === 0) this.attach();
    this.subscribers.add(handlers);
  }

  /** Removes a subscriber; with the last one, the hub's listeners leave the client. */
  delete(handlers: SessionHandlers): void {
    if (!this.subscribers.delete(handlers) || this.subscribers.size > 0) return;
    for (const [state, listener] of this.listeners) this.client.off(state, listener);
    this.listeners.clear();
  }

  private attach(): void {
    for (const state of STATES) {
      // A snapshot, as EventEmitter takes one: a handler that unsubscribes another during this event does not skip it.
      const listener = (change: StateChange): void => {
        for (const handlers of [...this.subscribers]) handlers[state]?.(change);
      };
      this.listeners.set(state, listener);
      this.client.on(state, listener);
    }
  }
}

const hubs = new WeakMap<Client, SessionHub>();

/**
 * Calls `handlers[state]` each time `client` enters `state`, through the
 * client's one hub (a single listener per state, however many subscribe).
 * Handlers run in the order they subscribed, in the microtask the client
 * emits its state event in.
 *
 * @returns unsubscribe: stops the calls (idempotent); the hub's listeners
 * leave the client with the last subscriber.
 */
export function onSessionEvents(client: Client, handlers: SessionHandlers): () => void {
  // Each subscription is its own object, so one handlers object may be subscribed twice and unsubscribed once.
  const subscription: SessionHandlers = { ...handlers };
  let hub = hubs.get(client);
  if (hub === undefined) {
    hub = new SessionHub(client);
    hubs.set(client, hub);
  }
  hub.add(subscription);
  const owner = hub;
  return () => owner.delete(subscription);
}
