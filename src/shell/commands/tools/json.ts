/** `json-get path [key.path]` and `json-set path key.path value`: JSON documents kept as node data. */
import { BadArgumentsError } from '../../../errors.js';
import { UnexpectedDataError } from '../../../recipes/errors.js';
import type { ShellCommand, ShellContext } from '../../command.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The node's data parsed as JSON, and the version it was read at. */
async function readJson(shell: ShellContext, path: string): Promise<{ doc: Json; version: number }> {
  const { data, stat } = await shell.client.getData(path);
  const text = data === null ? '' : data.toString('utf8');
  try {
    return { doc: text === '' ? null : (JSON.parse(text) as Json), version: stat.version };
  } catch (err) {
    throw new UnexpectedDataError(`${path}: the data is not JSON (${(err as Error).message})`);
  }
}

const keysOf = (keyPath: string | undefined): string[] => (keyPath === undefined || keyPath === '' || keyPath === '.' ? [] : keyPath.split('.'));

export const jsonGet: ShellCommand = {
  name: 'json-get',
  usage: 'json-get path [key.path]',
  summary: "print a node's JSON data, or the value at a dotted key path (a.b.0)",
  minArgs: 1,
  async run(shell, { args, json }) {
    const [path, keyPath] = args as [string, string | undefined];
    let value: Json | undefined = (await readJson(shell, path)).doc;
    for (const key of keysOf(keyPath)) {
      value = value !== null && typeof value === 'object' ? (value as Record<string, Json>)[key] : undefined;
    }
    if (value === undefined) throw new BadArgumentsError(`${path}: no value at ${keyPath}`);
    let text: string;
    try {
      text = JSON.stringify(value, null, 2);
    } catch (err) {
      // A JSON bomb: nesting deeper than the stack can print.
      throw new UnexpectedDataError(`${path}: the JSON is nested too deeply to print (${(err as Error).message})`);
    }
    shell.result(`${text}\n`, { path, key: keyPath ?? '', value }, json);
  },
};

export const jsonSet: ShellCommand = {
  name: 'json-set',
  usage: 'json-set path key.path value',
  summary: 'set the value at a dotted key path of JSON data (value parsed as JSON, else a string); only if no one wrote meanwhile',
  minArgs: 3,
  async run(shell, { args, json }) {
    const [path, keyPath, text] = args as [string, string, string];
    const { doc, version } = await readJson(shell, path);
    let value: Json;
    try {
      value = JSON.parse(text) as Json;
    } catch {
      value = text;
    }
    const keys = keysOf(keyPath);
    let updated: Json = value;
    if (keys.length > 0) {
      const top: Json = doc !== null && typeof doc === 'object' ? doc : {};
      let cursor = top as Record<string, Json>;
      for (const key of keys.slice(0, -1)) {
        const next = cursor[key];
        if (next === null || typeof next !== 'object') cursor[key] = {};
        cursor = cursor[key] as Record<string, Json>;
      }
      cursor[keys[keys.length - 1]!] = value;
      updated = top;
    }
    // The version read: a concurrent writer makes this fail with BadVersion instead of being overwritten.
    const stat = await shell.client.setData(path, JSON.stringify(updated), version);
    shell.result('', { path, key: keyPath, value, version: stat.version }, json);
  },
};
