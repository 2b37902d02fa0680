/**
 * `cp [-r] [--overwrite] [--from conn] [--to conn] src dst`,
 * `diff [--from conn] [--to conn] path1 path2` and `mirror [--from conn]
 * [--to conn] src dst`: between two paths of the session's server, or of
 * two servers (e.g. to migrate from ZooKeeper to Herd): `--from`/`--to`
 * name another server's connection string.
 */
import { createClient, type Client } from '../../../client/index.js';
import { joinPath } from '../../../base/path.js';
import { NodeExistsError } from '../../../errors.js';
import type { Flags, ShellCommand, ShellContext } from '../../command.js';
import { unlessGone } from '../../absent.js';
import { dataOf, relative, walk } from './walk.js';

/** The client for one side: the session's, or a new one to `--from`/`--to` (closed by `release`). */
async function side(shell: ShellContext, conn: string | boolean | undefined): Promise<{ client: Client; release: () => Promise<void> }> {
  if (typeof conn !== 'string') return { client: shell.client, release: async () => undefined };
  const client = createClient(conn, { connectTimeout: 10_000, requestTimeout: 30_000 });
  await client.connect();
  return { client, release: () => client.close() };
}

async function withSides<T>(shell: ShellContext, flags: Flags, fn: (from: Client, to: Client) => Promise<T>): Promise<T> {
  const from = await side(shell, flags['from']);
  try {
    const to = await side(shell, flags['to']);
    try {
      return await fn(from.client, to.client);
    } finally {
      await to.release();
    }
  } finally {
    await from.release();
  }
}

/** Every node of a subtree with its data, by path relative to `root`. */
async function snapshot(client: Client, root: string): Promise<Map<string, Buffer | null>> {
  const nodes = new Map<string, Buffer | null>();
  await walk(client, root, async ({ path }) => {
    const data = await dataOf(client, path);
    if (data !== undefined) nodes.set(relative(root, path), data);
  });
  return nodes;
}

const under = (root: string, rel: string): string => (rel === '' ? root : joinPath(root, rel));

/** One difference between two subtrees, by relative path: `-` only in the first, `+` only in the second, `~` data differs. */
interface Change {
  readonly change: '-' | '+' | '~';
  readonly path: string;
}

/** The differences between two snapshots, in path order. */
function compare(left: ReadonlyMap<string, Buffer | null>, right: ReadonlyMap<string, Buffer | null>): Change[] {
  const out: Change[] = [];
  for (const rel of [...new Set([...left.keys(), ...right.keys()])].sort()) {
    const l = left.get(rel);
    const r = right.get(rel);
    if (!right.has(rel)) out.push({ change: '-', path: rel });
    else if (!left.has(rel)) out.push({ change: '+', path: rel });
    else if (!(l === null ? r === null : r !== null && r !== undefined && l!.equals(r))) out.push({ change: '~', path: rel });
  }
  return out;
}

export const cp: ShellCommand = {
  name: 'cp',
  usage: 'cp [-r] [--overwrite] [--from conn] [--to conn] src dst',
  summary: "copy a node's data (-r with its subtree) to another path, on this server or another",
  minArgs: 2,
  flags: (c) =>
    c
      .option('-r', 'copy the subtree')
      .option('--overwrite', 'replace the data of nodes that exist at the destination')
      .option('--from <conn>', 'read src from this server')
      .option('--to <conn>', 'write dst on this server'),
  async run(shell, { args, flags, json }) {
    const [src, dst] = args as [string, string];
    const copied = await withSides(shell, flags, async (from, to) => {
      const nodes = flags['r'] === true ? await snapshot(from, src) : new Map([['', (await from.getData(src)).data]]);
      const written: string[] = [];
      // Sorted, so every parent is written before its children.
      for (const rel of [...nodes.keys()].sort()) {
        const path = under(dst, rel);
        const data = nodes.get(rel)!;
        try {
          await to.mkdirp(path, data);
        } catch (err) {
          if (!(err instanceof NodeExistsError)) throw err;
          if (flags['overwrite'] !== true) throw err;
          await to.setData(path, data);
        }
        written.push(path);
      }
      return written;
    });
    shell.result(`copied ${copied.length} node${copied.length === 1 ? '' : 's'}\n`, { src, dst, copied }, json);
  },
};

export const diff: ShellCommand = {
  name: 'diff',
  usage: 'diff [--from conn] [--to conn] path1 path2',
  summary: 'compare two subtrees: - only in path1, + only in path2, ~ data differs',
  minArgs: 2,
  flags: (c) => c.option('--from <conn>', 'read path1 from this server').option('--to <conn>', 'read path2 from this server'),
  async run(shell, { args, flags, json }) {
    const [a, b] = args as [string, string];
    const changes = await withSides(shell, flags, async (from, to) => {
      const [left, right] = await Promise.all([snapshot(from, a), snapshot(to, b)]);
      return compare(left, right);
    });
    shell.result(changes.map((c) => `${c.change} ${c.path === '' ? '.' : c.path}\n`).join(''), { path1: a, path2: b, changes }, json);
  },
};

export const mirror: ShellCommand = {
  name: 'mirror',
  usage: 'mirror [--from conn] [--to conn] src dst',
  summary: "make dst's subtree equal to src's: create what is missing, set what differs, delete what src lacks",
  minArgs: 2,
  flags: (c) => c.option('--from <conn>', 'read src from this server').option('--to <conn>', 'write dst on this server'),
  async run(shell, { args, flags, json }) {
    const [src, dst] = args as [string, string];
    const changes = await withSides(shell, flags, async (from, to) => {
      const left = await snapshot(from, src);
      const right = (await to.exists(dst)) === null ? new Map<string, Buffer | null>() : await snapshot(to, dst);
      const todo = compare(left, right);
      // Parents are written before their children (path order), and deleted after them (reverse order).
      for (const { change, path } of todo) {
        if (change === '-') await to.mkdirp(under(dst, path), left.get(path)!);
        else if (change === '~') await to.setData(under(dst, path), left.get(path)!);
      }
      for (const { change, path } of [...todo].reverse()) if (change === '+') await unlessGone(to.delete(under(dst, path)), undefined);
      return todo;
    });
    const count = (c: Change['change']): number => changes.filter((x) => x.change === c).length;
    shell.result(
      `mirrored ${src} to ${dst}: ${count('-')} created, ${count('~')} updated, ${count('+')} deleted\n`,
      { src, dst, created: changes.filter((c) => c.change === '-').map((c) => under(dst, c.path)), updated: changes.filter((c) => c.change === '~').map((c) => under(dst, c.path)), deleted: changes.filter((c) => c.change === '+').map((c) => under(dst, c.path)) },
      json,
    );
  },
};
