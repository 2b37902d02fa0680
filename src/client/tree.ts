import { joinPath, pathPrefixes } from '../base/path.js';
import { NoNodeError, NodeExistsError, NotEmptyError } from '../errors.js';
import type { ACL } from '../jute/records/acl.js';

/** The operations the tree helpers need: a narrow view of the {@link Client}. */
export interface TreeOps {
  create(path: string, data?: null, options?: { acl?: readonly ACL[] }): Promise<string>;
  delete(path: string, version?: number): Promise<void>;
  getChildren(path: string): Promise<string[]>;
}


/**
 * Creates every missing node of `path` (persistent, with empty data, as
 * Kazoo's ensure_path and Curator's creatingParentsIfNeeded do: Kazoo's
 * recipes read a parent's data and fail on a null one), top-down.
 * The creates are pipelined: one round trip, whatever the depth. Nodes that
 * exist already are left as they are.
 */
export async function ensurePath(ops: TreeOps, path: string, acl?: readonly ACL[]): Promise<void> {
  const options = acl === undefined ? {} : { acl };
  const creates = pathPrefixes(path).map((p) =>
    ops.create(p, undefined, options).then(
      () => undefined,
      (err: unknown) => {
        if (err instanceof NodeExistsError) return undefined;
        return err;
      },
    ),
  );
  for (const outcome of await Promise.all(creates)) if (outcome !== undefined) throw outcome;
}

/**
 * Deletes a node and all its descendants, deepest first. Nodes deleted
 * meanwhile by someone else are fine; if children keep appearing it gives
 * up after a few rounds with NotEmptyError. A missing node is not an error.
 */
export async function deleteRecursive(ops: TreeOps, path: string, rounds = 5): Promise<void> {
  for (let round = 1; ; round++) {
    const nodes = await collect(ops, path);
    // Children are listed after their parent, so deleting in reverse order empties each parent first.
    const deletes = nodes.reverse().map((p) => ops.delete(p).then(
      () => undefined,
      (err: unknown) => (err instanceof NoNodeError ? undefined : err),
    ));
    const errors = (await Promise.all(deletes)).filter((e) => e !== undefined);
    if (errors.length === 0) return;
    if (round >= rounds || !errors.every((e) => e instanceof NotEmptyError)) throw errors[0];
  }
}

/** The node and its descendants, each after its parent (breadth first, pipelined per level). */
async function collect(ops: TreeOps, root: string): Promise<string[]> {
  const out: string[] = [];
  let level = [root];
  while (level.length > 0) {
    const children = await Promise.all(
      level.map((p) =>
        ops.getChildren(p).then(
          (names) => names.map((n) => joinPath(p, n)),
          (err: unknown) => {
            if (err instanceof NoNodeError) return null;
            throw err;
          },
        ),
      ),
    );
    const next: string[] = [];
    level.forEach((p, i) => {
      const kids = children[i];
      if (kids === null || kids === undefined) return;
      out.push(p);
      next.push(...kids);
    });
    level = next;
  }
  return out;
}
