import { BadArgumentsError, type HerdError } from '../errors.js';

/** One server address of a connection string. */
export interface HostPort {
  host: string;
  port: number;
}

/** A parsed connection string: the servers and the optional chroot. */
export interface ConnectionString {
  hosts: HostPort[];
  /** The chroot path without a trailing slash (`/app`), or undefined when none was given. */
  chroot: string | undefined;
}

/** ZooKeeper's client port when a host gives none. */
export const DEFAULT_PORT = 2181;

/**
 * Parses `host1:port1,host2:port2/chroot`. Hosts may be names, IPv4
 * addresses or bracketed IPv6 addresses (`[::1]:2181`); a missing port is
 * {@link DEFAULT_PORT}. The chroot applies to the whole string, as in
 * ZooKeeper: `/` alone means none. Throws a BadArgumentsError on
 * malformed input.
 */
export function parseConnectionString(input: string): ConnectionString {
  const slash = input.indexOf('/');
  const hostPart = slash < 0 ? input : input.slice(0, slash);
  let chroot: string | undefined = slash < 0 ? undefined : input.slice(slash);
  if (chroot !== undefined) {
    if (chroot.length > 1 && chroot.endsWith('/')) chroot = chroot.slice(0, -1);
    if (chroot === '/') chroot = undefined;
    else if (chroot.includes('//')) throw bad(input, 'chroot contains an empty segment');
  }
  const hosts: HostPort[] = [];
  for (const raw of hostPart.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    hosts.push(parseHost(item, input));
  }
  if (hosts.length === 0) throw bad(input, 'no host');
  return { hosts, chroot };
}

function parseHost(item: string, input: string): HostPort {
  let host: string;
  let portText: string | undefined;
  if (item.startsWith('[')) {
    const close = item.indexOf(']');
    if (close < 0) throw bad(input, `unclosed bracket in ${item}`);
    host = item.slice(1, close);
    const rest = item.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) throw bad(input, `unexpected text after ] in ${item}`);
      portText = rest.slice(1);
    }
  } else {
    const colon = item.lastIndexOf(':');
    if (colon >= 0 && item.indexOf(':') !== colon) {
      // An unbracketed IPv6 address: no port can be told apart from it.
      host = item;
    } else if (colon >= 0) {
      host = item.slice(0, colon);
      portText = item.slice(colon + 1);
    } else {
      host = item;
    }
  }
  if (host === '') throw bad(input, `empty host in ${item}`);
  let port = DEFAULT_PORT;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText)) throw bad(input, `bad port in ${item}`);
    port = Number(portText);
    if (port < 1 || port > 65535) throw bad(input, `port out of range in ${item}`);
  }
  return { host, port };
}

function bad(input: string, why: string): HerdError {
  return new BadArgumentsError(`invalid connection string "${input}": ${why}`);
}

/** A Fisher-Yates shuffle into a new array; `random` returns a number in [0, 1). */
export function shuffle<T>(items: readonly T[], random: () => number = Math.random): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}
