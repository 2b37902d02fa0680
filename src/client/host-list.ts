import { shuffle, type HostPort } from './connection-string.js';

/**
 * The servers of a connection string in a random order fixed at creation
 * (spreading clients over the ensemble), tried round-robin: after a
 * connection loss the client moves on to the next one.
 */
export class HostList {
  private readonly hosts: HostPort[];
  private index = -1;

  constructor(hosts: readonly HostPort[], random: () => number = Math.random) {
    this.hosts = shuffle(hosts, random);
  }

  get size(): number {
    return this.hosts.length;
  }

  /** The next host to try. */
  next(): HostPort {
    this.index = (this.index + 1) % this.hosts.length;
    return this.hosts[this.index]!;
  }
}
