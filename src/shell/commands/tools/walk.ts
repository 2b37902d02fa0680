/** Walking a subtree, for the tools (tree, find, grep, du, cp, diff). */
import { joinPath } from '../../../base/path.js';
import type { Client } from '../../../client/index.js';
import { unlessGone } from '../../absent.js';

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
    // The root must exist (NoNodeError); a node below it deleted meanwhile is skipped.
    const listed = depth === 0 ? await client.getChildren(path) : await unlessGone(client.getChildren(path), undefined);
    if (listed === undefined) return;
    const children = listed.sort();
    await visit({ path, depth, children });
    if (depth >= maxDepth) return;
    for (const child of children) await rec(joinPath(path, child), depth + 1);
  };
  await rec(root, 0);
}

/** A path's data, or undefined when the node is gone. */
export async function dataOf(client: Client, path: string): Promise<Buffer | null | undefined> {
  return (await unlessGone(client.getData(path), undefined))?.data;
}

/** `path` relative to `root` ('' for the root itself). */
export function relative(root: string, path: string): string {
  return root === '/' ? path.slice(1) : path.slice(root.length + 1);
}
