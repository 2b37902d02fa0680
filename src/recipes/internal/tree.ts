/** Creating, deleting and reading the recipes' nodes, across connection loss. */
import { joinPath } from '../../base/path.js';
import type { Client, Data } from '../../client/index.js';
import { isTransientError } from '../../client/retry.js';
import { NodeExistsError, NoNodeError } from '../../errors.js';
import type { Stat } from '../../jute/records/stat.js';
import { decodeText } from './names.js';
import { isSessionGone, retryWhileConnected } from './retry.js';

/**
 * Creates `path` and its missing ancestors as empty persistent nodes
 * ({@link Client.ensurePath}: one pipelined round trip), retried across
 * connection loss. Existing nodes are left as they are.
 */
export async function ensurePath(client: Client, path: string, signal?: AbortSignal): Promise<void> {
  await retryWhileConnected(client, () => client.ensurePath(path), signal);
}

/** Deletes a node, retrying across connection loss; a missing node is fine. Resolves true when it was deleted here. */
export async function deleteIfExists(client: Client, path: string, version = -1): Promise<boolean> {
  try {
    await retryWhileConnected(client, () => client.delete(path, version));
    return true;
  } catch (error) {
    if (error instanceof NoNodeError) return false;
    throw error;
  }
}

/**
 * The data of each named child of `parent` as text, in the order given.
 * A child deleted between the listing and the read is skipped, as is one
 * with null data when `skipNull` is set.
 */
export async function readChildTexts(
  client: Client,
  parent: string,
  names: readonly string[],
  options: { skipNull?: boolean } = {},
): Promise<string[]> {
  const out: string[] = [];
  for (const name of names) {
    try {
      const { data } = await retryWhileConnected(client, () => client.getData(joinPath(parent, name)));
      if (data !== null || !options.skipNull) out.push(decodeText(data));
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
    }
  }
  return out;
}

/**
 * Creates the ephemeral node `path`, or adopts it when our own session
 * already owns it (a create whose reply was lost to a connection drop; its
 * data is written again). Retried across connection loss while the
 * session lives. Resolves undefined when the node is ours, or the Stat of
 * the node another session holds at `path` (the caller decides what that
 * means: a duplicate, or a previous run to replace).
 */
export async function createOwnEphemeral(client: Client, path: string, data: Data): Promise<Stat | undefined> {
  for (;;) {
    try {
      await client.create(path, data, { mode: 'ephemeral' });
      return undefined;
    } catch (error) {
      if (error instanceof NodeExistsError) {
        const stat = await retryWhileConnected(client, () => client.exists(path));
        if (stat === null) continue; // gone meanwhile: create again
        if (stat.ephemeralOwner !== client.sessionId) return stat;
        await retryWhileConnected(client, () => client.setData(path, data));
        return undefined;
      }
      if (!isTransientError(error) || isSessionGone(client)) throw error;
    }
  }
}
