/**
 * Helpers of the recipe tests on top of the target matrix
 * (test/support/targets.ts): injected losses of a create's reply and an
 * independent count of holders.
 */
import { ConnectionLossError } from '../../src/errors.js';
import type { Client } from '../../src/client/index.js';
import { sleep, type Target } from '../support/targets.js';

export { closeAll, connect, forEachTarget, sleep, uniquePath, waitFor, type Target } from '../support/targets.js';

/**
 * The client as a recipe sees it, except that its next `create` loses its
 * reply: with `applied` the create reaches the server and succeeds there,
 * with `lost` it never does. Either way the connection is then really
 * dropped and the create rejects with ConnectionLossError, as when a
 * connection dies with a request in flight.
 */
export function loseNextCreate(client: Client, target: Target, outcome: 'applied' | 'lost'): { client: Client; created: string[] } {
  let armed = true;
  const created: string[] = [];
  const wrapped = new Proxy(client, {
    get(t, prop) {
      if (prop === 'create') {
        return async (...args: Parameters<Client['create']>): Promise<string> => {
          if (!armed) return t.create(...args);
          armed = false;
          if (outcome === 'applied') created.push(await t.create(...args));
          target.dropConnections();
          throw new ConnectionLossError('injected: connection lost before the create reply', { op: 'create', path: args[0] });
        };
      }
      const value: unknown = Reflect.get(t, prop, t);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
    },
  });
  return { client: wrapped, created };
}

/**
 * A real wire fault: the client's next `create` goes out through the
 * proxy with 200 ms of latency each way, and the connection is cut 300 ms
 * later: the server has applied the create, its reply dies in the proxy,
 * and the client sees a genuine ConnectionLossError. `client` must be
 * connected through `target.proxy`.
 */
export function loseNextCreateReplyOnWire(client: Client, target: Target): Client {
  let armed = true;
  return new Proxy(client, {
    get(t, prop) {
      if (prop === 'create') {
        return (...args: Parameters<Client['create']>): Promise<string> => {
          if (!armed) return t.create(...args);
          armed = false;
          target.proxy.setLatency(200);
          const pending = t.create(...args);
          setTimeout(() => {
            target.proxy.dropConnections();
            target.proxy.setLatency(0);
          }, 300);
          return pending;
        };
      }
      const value: unknown = Reflect.get(t, prop, t);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
    },
  });
}

/**
 * Counts holders: `enter` / `leave` around each critical section; `max` is
 * the most ever inside at once, from an independent log of timestamps.
 */
export class HolderChecker {
  private inside = 0;
  max = 0;
  entries = 0;
  readonly log: { who: string; at: bigint; what: 'in' | 'out' }[] = [];
  enter(who: string): void {
    this.inside++;
    this.entries++;
    this.max = Math.max(this.max, this.inside);
    this.log.push({ who, at: process.hrtime.bigint(), what: 'in' });
  }
  leave(who: string): void {
    this.inside--;
    this.log.push({ who, at: process.hrtime.bigint(), what: 'out' });
  }
  /** Replays the log: the most holders at any time. */
  maxFromLog(): number {
    let n = 0;
    let m = 0;
    for (const e of [...this.log].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.what === 'out' ? -1 : 1))) {
      n += e.what === 'in' ? 1 : -1;
      m = Math.max(m, n);
    }
    return m;
  }
}

/** Runs a test's own request again after a connection loss the test caused. */
export async function retryLoss<T>(fn: () => Promise<T>, attempts = 50): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (error) {
      if (!(error instanceof ConnectionLossError) || i >= attempts) throw error;
      await sleep(50);
    }
  }
}
