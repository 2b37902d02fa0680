/**
 * The address cookies as the auditor reads them (../node/registration.ts
 * writes them): which instance ids may still come back with their data.
 */
import type { Client } from '../../client/index.js';
import { NoNodeError } from '../../errors.js';
import { retryWhileConnected } from '../../recipes/internal/index.js';
import { COOKIES_PATH } from '../metadata/layout.js';

/**
 * The instance ids named by an address cookie: those that may still come
 * back with their data. Undefined when there are no cookies at all
 * (deleted by hand?): then every missing node gets its grace period.
 * Rejects with the client's errors other than NoNodeError.
 */
export async function cookieOwners(client: Client): Promise<Set<string> | undefined> {
  const owners = new Set<string>();
  let names: string[];
  try {
    names = (await retryWhileConnected(client, () => client.getChildren(COOKIES_PATH))) as string[];
  } catch (error) {
    if (error instanceof NoNodeError) return undefined;
    throw error;
  }
  await Promise.all(
    names.map(async (name) => {
      try {
        const { data } = await retryWhileConnected(client, () => client.getData(`${COOKIES_PATH}/${name}`));
        const id = (JSON.parse(data?.toString('utf8') ?? '') as { instanceId?: unknown }).instanceId;
        if (typeof id === 'string') owners.add(id);
      } catch (error) {
        if (!(error instanceof NoNodeError || error instanceof SyntaxError)) throw error;
      }
    }),
  );
  return owners;
}
