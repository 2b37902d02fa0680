/** `tree [-d depth] [path]`, `find path regex`, `grep [-i] path text`, `du path`: looking through a subtree. */
import { intArg, type ShellCommand } from '../../command.js';
import { joinPath, parentPath } from '../../../base/path.js';
import { dataOf, walk } from './walk.js';

export const tree: ShellCommand = {
  name: 'tree',
  usage: 'tree [-d depth] [path]',
  summary: 'draw the subtree of a node (default /), children sorted',
  flags: (c) => c.option('-d <depth>', 'levels to show'),
  async run(shell, { args, flags, json }) {
    const root = args[0] ?? '/';
    const depth = typeof flags['d'] === 'string' ? intArg(flags['d']) : Infinity;
    const lines = [root];
    const paths = [root];
    // Per node, whether it is its parent's last child: it ends its column's line.
    const lastChild = new Set<string>();
    await walk(
      shell.client,
      root,
      ({ path, depth: d, children }) => {
        if (children.length > 0) lastChild.add(joinPath(path, children[children.length - 1]!));
        if (d === 0) return;
        paths.push(path);
        let prefix = lastChild.has(path) ? '└── ' : '├── ';
        for (let up = parentPath(path), level = d - 1; level > 0; up = parentPath(up), level--) {
          prefix = (lastChild.has(up) ? '    ' : '│   ') + prefix;
        }
        lines.push(prefix + path.slice(path.lastIndexOf('/') + 1));
      },
      depth,
    );
    shell.result(lines.map((l) => `${l}\n`).join(''), { path: root, paths }, json);
  },
};

export const find: ShellCommand = {
  name: 'find',
  usage: 'find path regex',
  summary: 'list the paths under a node that match a regular expression',
  minArgs: 2,
  async run(shell, { args, json }) {
    const [root, source] = args as [string, string];
    const re = new RegExp(source);
    const found: string[] = [];
    await walk(shell.client, root, ({ path }) => {
      if (re.test(path)) found.push(path);
    });
    shell.result(found.map((p) => `${p}\n`).join(''), { path: root, found }, json);
  },
};

export const grep: ShellCommand = {
  name: 'grep',
  usage: 'grep [-i] path text',
  summary: 'list the nodes under a path whose data (as UTF-8) contains a text, with the matching lines',
  minArgs: 2,
  flags: (c) => c.option('-i', 'ignore case'),
  async run(shell, { args, flags, json }) {
    const [root, text] = args as [string, string];
    const fold = flags['i'] === true;
    const needle = fold ? text.toLowerCase() : text;
    const matches: { path: string; line: string }[] = [];
    await walk(shell.client, root, async ({ path }) => {
      const data = await dataOf(shell.client, path);
      if (!data) return;
      for (const line of data.toString('utf8').split('\n')) {
        if ((fold ? line.toLowerCase() : line).includes(needle)) matches.push({ path, line });
      }
    });
    shell.result(matches.map((m) => `${m.path}: ${m.line}\n`).join(''), { path: root, matches }, json);
  },
};

export const du: ShellCommand = {
  name: 'du',
  usage: 'du path',
  summary: 'the bytes of data in a subtree, and its node count',
  minArgs: 1,
  async run(shell, { args, json }) {
    const root = args[0]!;
    let bytes = 0;
    let nodes = 0;
    await walk(shell.client, root, async ({ path }) => {
      const s = await shell.client.exists(path);
      if (s === null) return;
      bytes += s.dataLength;
      nodes++;
    });
    shell.result(`${bytes}\t${root}\t(${nodes} node${nodes === 1 ? '' : 's'})\n`, { path: root, bytes, nodes }, json);
  },
};
