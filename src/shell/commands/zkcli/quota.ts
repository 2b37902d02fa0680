/**
 * zkCli's quota commands, `setquota -n|-b|-N|-B val path`, `listquota path`
 * and `delquota [-n|-b|-N|-B] path`, as ZooKeeper 3.8's SetQuotaCommand,
 * ListQuotaCommand and DelQuotaCommand do them: from the client, through
 * the nodes `/zookeeper/quota<path>/zookeeper_limits` (the limits) and
 * `.../zookeeper_stats` (the counts the server keeps), with zkCli's
 * messages on zkCli's streams.
 */
import { joinPath } from '../../../base/path.js';
import type { Client } from '../../../client/index.js';
import type { Command } from 'commander';
import { HerdError, NodeExistsError } from '../../../errors.js';
import { unlessGone } from '../../absent.js';
import type { Invocation, ShellCommand, ShellContext } from '../../command.js';
import { CommandUsageError } from '../../errors.js';

const QUOTA_ROOT = '/zookeeper/quota';
const LIMIT_NODE = 'zookeeper_limits';
const STAT_NODE = 'zookeeper_stats';
const limitPath = (path: string): string => `${QUOTA_ROOT}${path}/${LIMIT_NODE}`;
const statPath = (path: string): string => `${QUOTA_ROOT}${path}/${STAT_NODE}`;

/** The quota flags, as commons-cli describes its required group in MissingOptionException. */
const QUOTA_FLAGS: readonly [string, string][] = [
  ['n', 'num soft quota'],
  ['b', 'bytes soft quota'],
  ['N', 'num hard quota'],
  ['B', 'bytes hard quota'],
];
/** StatsTrack's key for each flag. */
const KEYS: Readonly<Record<string, string>> = { n: 'count', b: 'bytes', N: 'countHardLimit', B: 'byteHardLimit' };

/** `listquota` of a path that has no quota (code `NO_QUOTA`), worded as zkCli: `quota for /a does not exist.` */
export class NoQuotaError extends HerdError {
  override name = 'NoQuotaError';
  constructor(path: string) {
    super('NO_QUOTA', `quota for ${path} does not exist.`, { path, op: 'listquota' });
  }
}

/**
 * ZooKeeper's StatsTrack: `count=4,bytes=5=;byteHardLimit=10;countHardLimit=10`,
 * read leniently (either separator, a missing value is -1) and written as
 * ZooKeeper writes it, so `listquota` prints what zkCli prints.
 */
export class StatsTrack {
  readonly stats = new Map<string, number>();

  constructor(text = '') {
    for (const pair of text.split(/[,;]+/)) {
      if (pair === '') continue;
      const [key, value] = pair.split('=');
      this.stats.set(key!, value === undefined || value === '' ? -1 : Number(value));
    }
  }

  /** The value of `key`, -1 when unset. */
  get(key: string): number {
    return this.stats.get(key) ?? -1;
  }

  toString(): string {
    const rest = [...this.stats.keys()].filter((k) => k !== 'count' && k !== 'bytes').sort();
    const head = `count=${this.get('count')},bytes=${this.get('bytes')}`;
    // The extra '=' keeps ZooKeeper 3.4's parser from reading the new keys.
    return rest.length === 0 ? head : `${head}=${rest.map((k) => `;${k}=${this.stats.get(k)}`).join('')}`;
  }
}

/** The StatsTrack a quota node holds. */
async function readStats(client: Client, path: string): Promise<StatsTrack> {
  return new StatsTrack((await client.getData(path)).data?.toString('utf8') ?? '');
}

/** Declares the four quota flags, with a value (`setquota`) or without (`delquota`). */
function quotaFlags(c: Command, withValue: boolean): Command {
  return QUOTA_FLAGS.reduce((cmd, [f, d]) => cmd.option(withValue ? `-${f} <val>` : `-${f}`, d), c);
}

/** The one flag of the group given, checked as commons-cli's OptionGroup checks it. */
function groupFlag(invocation: Invocation, required: boolean): string | undefined {
  const given = (invocation.words ?? []).filter((w) => /^-[nbNB]$/.test(w)).map((w) => w.slice(1));
  if (given.length > 1) {
    throw new CommandUsageError(
      `org.apache.commons.cli.AlreadySelectedException: The option '${given[1]}' was specified but an option from this group has already been selected: '${given[0]}'`,
    );
  }
  if (given.length === 0 && required) {
    throw new CommandUsageError(`org.apache.commons.cli.MissingOptionException: Missing required option: [${QUOTA_FLAGS.map(([f, d]) => `-${f} ${d}`).join(', ')}]`);
  }
  return given[0];
}

/** The limit a `setquota` flag sets, with SetQuotaCommand's refusals. */
function limitValue(flag: string, text: string): number {
  const n = Number(text);
  const intMax = flag === 'n' || flag === 'N' ? 2 ** 31 - 1 : Number.MAX_SAFE_INTEGER;
  if (!/^[+-]?\d+$/.test(text) || Math.abs(n) > intMax) throw new CommandUsageError('NumberFormatException happens when parsing the option value');
  if ((flag === 'n' || flag === 'N') && n <= 0) throw new CommandUsageError('the num quota must be greater than zero');
  if ((flag === 'b' || flag === 'B') && n < 0) throw new CommandUsageError('the bytes quota must be greater than or equal to zero');
  return n;
}

/** zkCli's warnings (on stdout) when a new limit is already below the subtree's counts. */
function exceeded(quota: StatsTrack, stats: StatsTrack): string {
  const below = (soft: string, hard: string, key: string): boolean =>
    (quota.get(soft) > -1 && quota.get(soft) < stats.get(key)) || (quota.get(hard) > -1 && quota.get(hard) < stats.get(key));
  return (
    (below('count', 'countHardLimit', 'count') ? `[Warning]: the count quota you create is less than the existing count:${stats.get('count')}\n` : '') +
    (below('bytes', 'byteHardLimit', 'bytes') ? `[Warning]: the bytes quota you create is less than the existing bytes:${stats.get('bytes')}\n` : '')
  );
}

/** SetQuotaCommand.checkIfChildQuota: no node below `path` may have a quota of its own. */
async function checkNoChildQuota(client: Client, path: string): Promise<void> {
  const own = `${QUOTA_ROOT}${path}`;
  const visit = async (quotaPath: string): Promise<void> => {
    const children = await unlessGone(client.getChildren(quotaPath), [] as string[]);
    if (quotaPath !== own && children.includes(LIMIT_NODE)) {
      throw new CommandUsageError(`${path} has a child ${quotaPath.slice(QUOTA_ROOT.length)} which has a quota`);
    }
    for (const child of children) await visit(joinPath(quotaPath, child));
  };
  await visit(own);
}

/** SetQuotaCommand.checkIfParentQuota: no node above `path` may have a quota. */
async function checkNoParentQuota(client: Client, path: string): Promise<void> {
  const parts = path.split('/');
  let quotaPath = QUOTA_ROOT;
  for (let i = 1; i < parts.length - 1; i++) {
    quotaPath += `/${parts[i]}`;
    const children = await unlessGone(client.getChildren(quotaPath), undefined);
    if (children === undefined || children.length === 0) return;
    if (children.includes(LIMIT_NODE)) throw new CommandUsageError(`${path} has a parent ${quotaPath.slice(QUOTA_ROOT.length)} which has a quota`);
  }
}

async function createIfMissing(client: Client, path: string, data: string | null): Promise<void> {
  try {
    await client.create(path, data);
  } catch (err) {
    if (!(err instanceof NodeExistsError)) throw err;
  }
}

/** SetQuotaCommand.createQuota: the limits node (created or merged) and, at creation, the stats node; returns zkCli's warnings. */
async function createQuota(client: Client, path: string, quota: StatsTrack): Promise<string> {
  if ((await client.exists(path)) === null) throw new CommandUsageError(`${path} does not exist.`);
  await checkNoChildQuota(client, path);
  await checkNoParentQuota(client, path);
  let quotaPath = QUOTA_ROOT;
  for (const part of path.split('/').slice(1)) {
    quotaPath += `/${part}`;
    if ((await client.exists(quotaPath)) === null) await createIfMissing(client, quotaPath, null);
  }
  if ((await client.exists(limitPath(path))) === null) {
    await client.create(limitPath(path), quota.toString());
    // The server counts the subtree into the stats node when it is created.
    await client.create(statPath(path), 'count=0,bytes=0');
    return exceeded(await readStats(client, limitPath(path)), await readStats(client, statPath(path)));
  }
  const merged = await readStats(client, limitPath(path));
  for (const [key, value] of quota.stats) if (value > -1) merged.stats.set(key, value);
  const warnings = exceeded(merged, await readStats(client, statPath(path)));
  await client.setData(limitPath(path), merged.toString());
  return warnings;
}

export const setquota: ShellCommand = {
  name: 'setquota',
  usage: 'setquota -n|-b|-N|-B val path',
  summary: 'set a soft (-n nodes, -b bytes) or hard (-N, -B) quota on a subtree',
  flags: (c) => quotaFlags(c, true),
  async run(shell, invocation) {
    const flag = groupFlag(invocation, true)!;
    const path = invocation.args[0];
    if (path === undefined) throw new CommandUsageError(this.usage);
    if (path.startsWith(QUOTA_ROOT)) throw new CommandUsageError(`cannot set a quota under the path: ${QUOTA_ROOT}`);
    const quota = new StatsTrack('count=-1,bytes=-1,countHardLimit=-1,byteHardLimit=-1');
    quota.stats.set(KEYS[flag]!, limitValue(flag, invocation.flags[flag] as string));
    const warnings = await createQuota(shell.client, path, quota);
    shell.result(warnings, { path, quota: quota.toString(), warnings: warnings.split('\n').filter((l) => l !== '') }, invocation.json);
  },
};

/** A quota's limits and counts, or undefined when `path` has none. */
async function readQuota(client: Client, path: string): Promise<{ quota: StatsTrack; stat: StatsTrack } | undefined> {
  const both = async (): Promise<{ quota: StatsTrack; stat: StatsTrack }> => ({ quota: await readStats(client, limitPath(path)), stat: await readStats(client, statPath(path)) });
  return unlessGone(both(), undefined);
}

export const listquota: ShellCommand = {
  name: 'listquota',
  usage: 'listquota path',
  summary: "print a subtree's quota and its current counts",
  minArgs: 1,
  async run(shell, { args, json }) {
    const path = args[0]!;
    if (!json) shell.warn(`absolute path is ${limitPath(path)}`);
    const found = await readQuota(shell.client, path);
    if (found === undefined) throw new NoQuotaError(path);
    shell.result(
      `Output quota for ${path} ${found.quota.toString()}\nOutput stat for ${path} ${found.stat.toString()}\n`,
      { path, quota: Object.fromEntries(found.quota.stats), stat: Object.fromEntries(found.stat.stats) },
      json,
    );
  },
};

/** DelQuotaCommand.trimProcQuotas: removes the empty quota nodes from `path` up to the quota root. */
async function trimQuotaNodes(client: Client, path: string): Promise<void> {
  for (let p = path; p !== QUOTA_ROOT; p = p.slice(0, p.lastIndexOf('/'))) {
    if ((await client.getChildren(p)).length > 0) return;
    await client.delete(p);
  }
}

export const delquota: ShellCommand = {
  name: 'delquota',
  usage: 'delquota [-n|-b|-N|-B] path',
  summary: 'remove one limit of a quota (-n, -b, -N, -B), or the whole quota',
  minArgs: 1,
  flags: (c) => quotaFlags(c, false),
  async run(shell: ShellContext, invocation) {
    const flag = groupFlag(invocation, false);
    const path = invocation.args[0]!;
    const client = shell.client;
    if ((await client.exists(limitPath(path))) === null) {
      shell.result(`Quota does not exist for ${path}\n`, { path, deleted: false }, invocation.json);
      return;
    }
    if (flag === undefined) {
      const parent = `${QUOTA_ROOT}${path}`;
      for (const child of await client.getChildren(parent)) await client.delete(joinPath(parent, child));
      await trimQuotaNodes(client, parent);
    } else {
      const limits = await readStats(client, limitPath(path));
      limits.stats.set(KEYS[flag]!, -1);
      await client.setData(limitPath(path), limits.toString());
    }
    shell.result('', { path, deleted: flag === undefined ? 'all' : KEYS[flag] }, invocation.json);
  },
};
