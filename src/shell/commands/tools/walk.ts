/** Walking a subtree, for the tools (tree, find, grep, du, cp, diff). */
import { joinPath } from '../../../base/path.js';
import type { Client } from '../../../client/index.js';
import { NoNodeError } from '../../../errors.js';

/** One node met by {@link walk}: its path, and its depth below the root (0 for the root). */
export interface Visited {
  readonly path: string;
  readonly depth: number;
  readonly children: readonly string[];
}

/**
 * Visits `root` and its descendants depth first, children sorted; a node
 * deleted meanwhile is skipped. `maxDepth` stops the descent (children are
 * still listed).
 *
 * @throws NoNodeError when `root` does not exist
 */
export async function walk(client: Client, root: string, visit: (node: Visited) => void | Promise<void>, maxDepth = Infinity): Promise<void> {
  const rec = async (path: string, depth: number): Promise<void> => {
    let children: string[];
    try {
      children = (await client.getChildren(path)).sort();
    } catch (err) {
      if (err instanceof NoNodeError && depth > 0) return;
      throw err;
    }
    await visit({ path, depth, children });
    if (depth >= maxDepth) return;
    for (const child of children) await rec(joinPath(path, child), depth + 1);
  };
  await rec(root, 0);
}

/** A path's data, or undefined when the node is gone. */
export async function dataOf(client: Client, path: string): Promise<Buffer | null | undefined> {
  try {
    return (await client.getData(path)).data;
  } catch (err) {
    if (err instanceof NoNodeError) return undefined;
    throw err;
  }
}

/** `path` relative to `root` ('' for the root itself). */
export function relative(root: string, path: string): string {
  return root === '/' ? path.slice(1) : path.slice(root.length + 1);
}
