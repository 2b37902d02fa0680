import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Clock } from '../base/clock.js';
import type { HostPort } from './connection-string.js';
import type { ClientTlsOptions } from './options.js';

/** The first pause between probes, in ms; it doubles after each probe, as in ZooKeeper's client. */
export const MIN_PROBE_INTERVAL = 100;
/** The longest pause between probes, in ms. */
export const MAX_PROBE_INTERVAL = 60_000;
/** How long one probe may take before the server counts as not read-write. */
const PROBE_TIMEOUT = 1000;

/**
 * While the client is connected to a read-only server, looks in the
 * background for a read-write one: it asks the other hosts of the list, one
 * at a time and round-robin, the four-letter word `isro`, with a pause that
 * starts at {@link MIN_PROBE_INTERVAL} and doubles up to
 * {@link MAX_PROBE_INTERVAL}, so a long partition costs one short
 * connection a minute. A server answering `rw` is handed to `found`, and the
 * search stops; the caller then moves the session there.
 *
 * A probe uses its own short-lived connection (TLS when the client uses
 * TLS), never the session's, so the client keeps serving reads meanwhile.
 */
export class RwServerSearch {
  private timer: unknown = undefined;
  private probe: net.Socket | undefined;
  private interval = MIN_PROBE_INTERVAL;
  private index = -1;
  private current: string | undefined;
  private running = false;

  constructor(
    private readonly hosts: readonly HostPort[],
    private readonly clock: Clock,
    private readonly tlsOptions: ClientTlsOptions | undefined,
    private readonly found: (host: HostPort) => void,
  ) {}

  /** True while searching. */
  get active(): boolean {
    return this.running;
  }

  /** Starts searching; `current` (`host:port`) is the read-only server, not probed. */
  start(current: string | undefined): void {
    this.stop();
    this.current = current;
    this.running = true;
    this.interval = MIN_PROBE_INTERVAL;
    this.schedule();
  }

  /** Stops searching and drops a probe in progress. */
  stop(): void {
    this.running = false;
    if (this.timer !== undefined) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.probe?.destroy();
    this.probe = undefined;
  }

  private schedule(): void {
    if (!this.running) return;
    const delay = this.interval;
    this.interval = Math.min(this.interval * 2, MAX_PROBE_INTERVAL);
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.probeNext();
    }, delay);
  }

  private nextHost(): HostPort | undefined {
    for (let i = 0; i < this.hosts.length; i++) {
      this.index = (this.index + 1) % this.hosts.length;
      const host = this.hosts[this.index]!;
      if (address(host) !== this.current) return host;
    }
    return undefined;
  }

  private probeNext(): void {
    const host = this.nextHost();
    if (host === undefined) {
      this.schedule();
      return;
    }
    const socket = this.tlsOptions
      ? tls.connect({ ...this.tlsOptions, host: host.host, port: host.port })
      : net.connect({ host: host.host, port: host.port });
    this.probe = socket;
    let answer = '';
    let settled = false;
    const done = (): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (this.probe !== socket || !this.running) return;
      this.probe = undefined;
      if (answer.trim() === 'rw') {
        this.running = false;
        this.found(host);
      } else {
        this.schedule();
      }
    };
    socket.setTimeout(PROBE_TIMEOUT, done);
    socket.on(this.tlsOptions ? 'secureConnect' : 'connect', () => socket.end('isro'));
    socket.on('data', (chunk: Buffer) => {
      // The answer is two bytes; anything longer is not a ZooKeeper server.
      if (answer.length < 16) answer += chunk.toString('latin1');
    });
    socket.on('error', done);
    socket.on('close', done);
  }
}

function address(host: HostPort): string {
  return host.host.includes(':') ? `[${host.host}]:${host.port}` : `${host.host}:${host.port}`;
}
