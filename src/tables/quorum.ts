/**
 * Weights and quorum. The total weight is that of every member ever
 * configured: each node records its weight in a persistent znode
 * `/herd/tables/<name>/weights/<identifier>` when it opens, and the record
 * stays when it leaves or dies, so a minority cannot declare itself the
 * whole cluster by forgetting the others. `openTables({ members })` declares
 * the weights instead (then nothing is recorded and an undeclared node may
 * not join). The cluster is writable while its connected members hold more
 * than half of the total.
 */
import type { Client } from '../client/index.js';
import { NoNodeError, NodeExistsError } from '../errors.js';
import { ensurePath, joinPath } from '../recipes/internal/index.js';

/** The root of every tables cluster's znodes. */
export const TABLES_ROOT = '/herd/tables';

/** The znode of a tables cluster's recorded weights. */
export const weightsPath = (name: string): string => joinPath(joinPath(TABLES_ROOT, name), 'weights');

/** True when `connected` is more than half of `total`. */
export function hasQuorum(connected: number, total: number): boolean {
  return total > 0 && connected * 2 > total;
}

/** Records `identifier`'s weight (replacing an older one). */
export async function recordWeight(client: Client, name: string, identifier: string, weight: number): Promise<void> {
  const dir = weightsPath(name);
  await ensurePath(client, dir);
  const path = joinPath(dir, identifier);
  const data = Buffer.from(String(weight));
  try {
    await client.create(path, data);
  } catch (err) {
    if (!(err instanceof NodeExistsError)) throw err;
    await client.setData(path, data);
  }
}

/** The recorded weights of a tables cluster, by identifier (empty when none). */
export async function readWeights(client: Client, name: string): Promise<Map<string, number>> {
  const dir = weightsPath(name);
  let children: string[];
  try {
    children = await client.getChildren(dir);
  } catch (err) {
    if (err instanceof NoNodeError) return new Map();
    throw err;
  }
  const out = new Map<string, number>();
  for (const child of children) {
    try {
      const { data } = await client.getData(joinPath(dir, child));
      const weight = Number(data?.toString('utf8'));
      if (Number.isFinite(weight) && weight > 0) out.set(child, weight);
    } catch (err) {
      if (!(err instanceof NoNodeError)) throw err;
    }
  }
  return out;
}
