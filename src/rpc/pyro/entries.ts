/**
 * Pyro4 names in Herd's registry (the coordination store), shared by every
 * Herd Pyro4 name server and by `servePyro4`:
 *
 * - `/herd/rpc/<name>/pyro4`: a **persistent** node for a name registered
 *   through a name server (by Python: `ns.register(name, uri)`), as Pyro's
 *   own registrations outlive the registering process. Its JSON is an
 *   {@link InstanceInfo}-compatible entry (`protocol: 'pyro4'`, `version: 48`,
 *   `address`) plus `uri` and `metadata`, so `herd rpc ls` lists it.
 * - `/herd/rpc/<name>/instance-<seq>` with `protocol: 'pyro4'`: an
 *   **ephemeral** node of a Node object served by `servePyro4`, gone with
 *   its process's session (written by serve.ts, the same as Herd's own
 *   instances).
 * - `/herd/rpc/<name>/instance-<seq>` with `protocol: 'herd'` and a
 *   `pyro4: { uri, metadata }` field: an object `serve(..., { pyro4 })`
 *   serves over both protocols, one entry for both.
 *
 * A name's Pyro4 URI is its `pyro4` node's when there is one, else the first
 * live served instance's. Herd proxies (`lookup`) skip the first two kinds,
 * which do not speak Herd's protocol. A Pyro4 name is one path segment: a name with
 * `/`, `.` or `..` alone, or characters ZooKeeper refuses cannot be stored.
 */
import { joinPath } from '../../base/path.js';
import type { Client } from '../../client/index.js';
import { BadVersionError, NoNodeError, NodeExistsError } from '../../errors.js';
import { decodeText, deleteIfExists, ensurePath, retryWhileConnected } from '../../recipes/internal/index.js';
import { PROTOCOL_NAME } from '../protocol.js';
import { RPC_ROOT } from '../registry.js';
import { PYRO4_PROTOCOL_VERSION } from './message.js';

/** The protocol name of Pyro4 entries in the registry. */
export const PYRO4_PROTOCOL = 'pyro4';
/** The node name of a name-server registration under `/herd/rpc/<name>/`. */
export const PYRO4_NODE = 'pyro4';

/** One Pyro4 name as a name server reports it. */
export interface PyroEntry {
  readonly name: string;
  readonly uri: string;
  readonly metadata: readonly string[];
  /** True for a name-server registration (persistent, removable); false for a Node object served by `servePyro4`. */
  readonly registered: boolean;
}

/** The JSON of a Pyro4 registry node. */
export function pyroEntryJson(uri: string, metadata: readonly string[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ protocol: PYRO4_PROTOCOL, version: PYRO4_PROTOCOL_VERSION, address: uriLocation(uri), uri, metadata: [...metadata].sort(), ...extra });
}

/** The location (`host:port`) part of a `PYRO:object@location` URI. */
export function uriLocation(uri: string): string {
  const at = uri.lastIndexOf('@');
  return at < 0 ? '' : uri.slice(at + 1);
}

/** True when `name` can be stored as one registry node name. */
export function storableName(name: string): boolean {
  // ZooKeeper refuses these characters in paths (besides '/', and '.'/'..' as segments).
  // eslint-disable-next-line no-control-regex
  return name.length > 0 && name !== '.' && name !== '..' && !/[/\u0000-\u001f\u007f-\u009f\ud800-\uf8ff\ufff0-\uffff]/.test(name);
}

/** A registry node's Pyro4 side (`uri`, `metadata`), or undefined when the node has none. */
export type PyroSide = { readonly uri: string; readonly metadata: readonly string[] };

/** The Pyro4 side of a registry node's JSON: a `pyro4` registration, a `servePyro4` instance, or a Herd instance with a `pyro4` field. */
export function parseEntry(text: string): PyroSide | undefined {
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    // An object `serve` serves over both protocols: a Herd entry carrying its Pyro4 side.
    const side = parsed?.protocol === PROTOCOL_NAME ? parsed.pyro4 : parsed?.protocol === PYRO4_PROTOCOL ? parsed : undefined;
    if (typeof side !== 'object' || side === null) return undefined;
    const v = side as Record<string, unknown>;
    if (typeof v.uri !== 'string') return undefined;
    const metadata = Array.isArray(v.metadata) ? v.metadata.filter((m): m is string => typeof m === 'string') : [];
    return { uri: v.uri, metadata };
  } catch {
    return undefined;
  }
}

/** The children of `path`; none when it does not exist. */
export async function children(client: Client, path: string): Promise<string[]> {
  try {
    return await retryWhileConnected(client, () => client.getChildren(path));
  } catch (error) {
    if (error instanceof NoNodeError) return [];
    throw error;
  }
}

/** The data of `path` as text; undefined when it does not exist. */
export async function read(client: Client, path: string): Promise<string | undefined> {
  try {
    return decodeText((await retryWhileConnected(client, () => client.getData(path))).data);
  } catch (error) {
    if (error instanceof NoNodeError) return undefined;
    throw error;
  }
}

/**
 * The Pyro4 entry of `name` from its nodes (child name to its Pyro4 side):
 * the `pyro4` registration, else the served instance of lowest sequence.
 */
export function pickEntry(name: string, nodes: ReadonlyMap<string, PyroSide | undefined>): PyroEntry | undefined {
  const own = nodes.get(PYRO4_NODE);
  if (own) return { name, uri: own.uri, metadata: own.metadata, registered: true };
  const served = [...nodes.keys()].filter((n) => n !== PYRO4_NODE).sort(bySequence);
  for (const node of served) {
    const e = nodes.get(node);
    if (e) return { name, uri: e.uri, metadata: e.metadata, registered: false };
  }
  return undefined;
}

/** Instance nodes by their sequence number (the last 10 characters; a protected node's prefix varies). */
function bySequence(a: string, b: string): number {
  return a.slice(-10).localeCompare(b.slice(-10));
}

/** The Pyro4 entry of `name` (its registration, else its first live served instance), or undefined. */
export async function readPyroEntry(client: Client, name: string): Promise<PyroEntry | undefined> {
  if (!storableName(name)) return undefined;
  const service = joinPath(RPC_ROOT, name);
  // The registration first, by its known path: one read for the common case, a name registered by Python.
  const registered = await read(client, joinPath(service, PYRO4_NODE));
  const own = registered === undefined ? undefined : parseEntry(registered);
  if (own) return { name, uri: own.uri, metadata: own.metadata, registered: true };
  const nodes = (await children(client, service)).filter((n) => n !== PYRO4_NODE);
  for (const node of nodes.sort(bySequence)) {
    const text = await read(client, joinPath(service, node));
    const e = text === undefined ? undefined : parseEntry(text);
    if (e) return { name, uri: e.uri, metadata: e.metadata, registered: false };
  }
  return undefined;
}

/** Every Pyro4 name in the registry, by name. */
export async function readAllPyroEntries(client: Client): Promise<PyroEntry[]> {
  const out: PyroEntry[] = [];
  for (const name of (await children(client, RPC_ROOT)).sort()) {
    const e = await readPyroEntry(client, name);
    if (e) out.push(e);
  }
  return out;
}

/** Creates or replaces the registration of `name`. With `safe`, resolves false (and writes nothing) when the name has a Pyro4 entry already. */
export async function writeRegistration(client: Client, name: string, uri: string, metadata: readonly string[], safe: boolean): Promise<boolean> {
  if (safe && (await readPyroEntry(client, name))) return false;
  const path = joinPath(joinPath(RPC_ROOT, name), PYRO4_NODE);
  const data = Buffer.from(pyroEntryJson(uri, metadata, { registeredBy: 'pyro4-nameserver', registeredAt: Date.now() }));
  for (;;) {
    try {
      await retryWhileConnected(client, () => client.setData(path, data));
      return true;
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
    }
    try {
      await ensurePath(client, joinPath(RPC_ROOT, name));
      await retryWhileConnected(client, () => client.create(path, data));
      return true;
    } catch (error) {
      // Another name server created it meanwhile: a safe registration lost that race; otherwise overwrite it.
      if (!(error instanceof NodeExistsError)) throw error;
      if (safe) return false;
    }
  }
}

/** Replaces the metadata of `name`'s registration; false when it has none. */
export async function writeMetadata(client: Client, name: string, metadata: readonly string[]): Promise<boolean> {
  if (!storableName(name)) return false;
  const path = joinPath(joinPath(RPC_ROOT, name), PYRO4_NODE);
  const text = await read(client, path);
  const e = text === undefined ? undefined : parseEntry(text);
  if (!e) return false;
  try {
    await retryWhileConnected(client, () => client.setData(path, Buffer.from(pyroEntryJson(e.uri, metadata, { registeredBy: 'pyro4-nameserver', registeredAt: Date.now() }))));
    return true;
  } catch (error) {
    if (error instanceof NoNodeError) return false;
    throw error;
  }
}

/** Deletes the registration of `name` (and the service node when it is left empty); false when there was none. */
export async function deleteRegistration(client: Client, name: string): Promise<boolean> {
  if (!storableName(name)) return false;
  const service = joinPath(RPC_ROOT, name);
  if (!(await deleteIfExists(client, joinPath(service, PYRO4_NODE)))) return false;
  // Best effort: a served instance may be registering under it right now (NOTEMPTY), or another remover won.
  await retryWhileConnected(client, () => client.delete(service)).catch(() => {});
  return true;
}

/**
 * Deletes the registration of `name` only while it still names `uri` (an
 * entry re-registered meanwhile, by the same process restarted elsewhere,
 * stays); false when it was not deleted.
 */
export async function deleteRegistrationIf(client: Client, name: string, uri: string): Promise<boolean> {
  if (!storableName(name)) return false;
  const service = joinPath(RPC_ROOT, name);
  const path = joinPath(service, PYRO4_NODE);
  try {
    const { data, stat } = await retryWhileConnected(client, () => client.getData(path));
    if (parseEntry(decodeText(data))?.uri !== uri) return false;
    await retryWhileConnected(client, () => client.delete(path, stat.version));
  } catch (error) {
    if (error instanceof NoNodeError || error instanceof BadVersionError) return false;
    throw error;
  }
  await retryWhileConnected(client, () => client.delete(service)).catch(() => {});
  return true;
}
