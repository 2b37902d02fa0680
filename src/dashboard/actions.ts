/**
 * The closed list of typed actions the dashboard runs (ZooNavigator's
 * ActionOp, STYLE.md section 9): each names its arguments' checks, whether
 * it writes, and one function of a client. The HTTP layer (dashboard.ts)
 * is the one adapter that runs them; nothing else reaches the client.
 */
import { BadArgumentsError } from '../errors.js';
import type { Client } from '../client/index.js';
import { aclJson, parseAcl, statJson } from '../shell/format.js';
import { barrier } from '../shell/commands/views/barrier.js';
import { election } from '../shell/commands/views/election.js';
import { locks } from '../shell/commands/views/locks.js';
import { members } from '../shell/commands/views/members.js';
import { queue } from '../shell/commands/views/queue.js';
import { log } from '../shell/commands/layers/log.js';
import { rpc } from '../shell/commands/layers/rpc.js';
import { tables } from '../shell/commands/layers/tables.js';
import type { ShellCommand } from '../shell/command.js';
import type { LogStatus, LogSummary, StorageNodeView } from '../shell/commands/layers/log-status.js';
import type { ServiceInfo } from '../rpc/index.js';
import type { TablesStatus } from '../tables/index.js';
import type { ActionArgs, ActionName, ActionResults, AdminCommandName } from './protocol.js';
import { runView } from './view-context.js';

/** What an action may use besides its client. */
export interface ActionEnv {
  readonly connectionString: string;
  /** Reads an admin command's JSON; undefined when the dashboard knows no admin server. */
  readonly admin: ((command: AdminCommandName) => Promise<Record<string, unknown>>) | undefined;
}

interface ActionDef<K extends ActionName> {
  readonly write: boolean;
  /** Checks the untrusted JSON and returns typed arguments, or throws BadArgumentsError. */
  readonly parse: (raw: Record<string, unknown>) => ActionArgs[K];
  readonly run: (client: Client, args: ActionArgs[K], env: ActionEnv) => Promise<ActionResults[K]>;
}

/** The most names one page of children may hold. */
export const MAX_PAGE = 1000;
const ADMIN_COMMANDS: readonly AdminCommandName[] = ['mntr', 'cons', 'wchc', 'srvr'];

function str(raw: Record<string, unknown>, key: string): string {
  const v = raw[key];
  if (typeof v !== 'string') throw new BadArgumentsError(`argument '${key}' must be a string`);
  return v;
}

function int(raw: Record<string, unknown>, key: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = raw[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new BadArgumentsError(`argument '${key}' must be an integer from ${min} to ${max}`);
  }
  return v;
}

const path = (raw: Record<string, unknown>): { path: string } => ({ path: str(raw, 'path') });
const version = (raw: Record<string, unknown>): number => int(raw, 'version', -1, -1);

const none = (): Record<string, never> => ({});

/** An action that is a shell view: `command` run with the words `words(args)`, its `--json` result answered. */
function view<K extends ActionName>(command: ShellCommand, parse: ActionDef<K>['parse'], words: (args: ActionArgs[K]) => string[]): ActionDef<K> {
  return {
    write: false,
    parse,
    run: async (client, args, env) => (await runView(command, client, env.connectionString, words(args), env.admin)) as ActionResults[K],
  };
}

const definitions: { readonly [K in ActionName]: ActionDef<K> } = {
  children: {
    write: false,
    parse: (raw) => ({
      path: str(raw, 'path'),
      offset: int(raw, 'offset', 0, 0),
      limit: int(raw, 'limit', 200, 1, MAX_PAGE),
      filter: raw['filter'] === undefined ? '' : str(raw, 'filter'),
    }),
    run: async (client, { path, offset = 0, limit = 200, filter = '' }) => {
      const { children, stat } = await client.getChildren(path, { stat: true });
      const matching = (filter === '' ? children : children.filter((n) => n.includes(filter))).sort();
      return { path, total: matching.length, offset, names: matching.slice(offset, offset + limit), stat: statJson(stat) };
    },
  },
  node: {
    write: false,
    parse: path,
    run: async (client, { path }) => {
      const [{ data, stat }, { acl }] = await Promise.all([client.getData(path), client.getACL(path)]);
      return { path, data: data === null ? null : data.toString('base64'), stat: statJson(stat), acl: aclJson(acl) };
    },
  },
  locks: view(locks, path, (a) => [a.path]),
  members: view(members, (raw) => ({ cluster: str(raw, 'cluster') }), (a) => [a.cluster]),
  election: view(election, path, (a) => [a.path]),
  queue: view(queue, path, (a) => [a.path]),
  barrier: view(barrier, path, (a) => [a.path]),
  rpc: view(rpc, none, () => ['ls']),
  logs: view(log, none, () => ['ls']),
  logNodes: view(log, none, () => ['nodes']),
  log: view(log, (raw) => ({ name: str(raw, 'name') }), (a) => ['status', a.name]),
  tables: {
    ...view(tables, none, () => ['ls']),
    // The headline is `herd tables status`'s own text (src/tables/status.ts), so the two never word it differently.
    run: async (client, _args, env) => {
      const { tables: all } = (await runView(tables, client, env.connectionString, ['ls'], env.admin)) as { tables: TablesStatus[] };
      const { tablesStatusText } = await import('../tables/status.js');
      return { tables: all.map((s) => ({ ...s, headline: tablesStatusText(s).headline })) };
    },
  },
  admin: {
    write: false,
    parse: (raw) => {
      const command = str(raw, 'command') as AdminCommandName;
      if (!ADMIN_COMMANDS.includes(command)) throw new BadArgumentsError(`admin command must be one of ${ADMIN_COMMANDS.join(', ')}`);
      return { command };
    },
    run: async (_client, { command }, env) => {
      if (env.admin === undefined) throw new BadArgumentsError('admin: this dashboard knows no admin server (herd dashboard --admin-url)');
      return env.admin(command);
    },
  },
  create: {
    write: true,
    parse: (raw) => ({ path: str(raw, 'path'), data: raw['data'] === undefined ? '' : str(raw, 'data'), sequential: raw['sequential'] === true }),
    run: async (client, { path, data, sequential }) => ({
      path: await client.create(path, data, { mode: sequential === true ? 'persistentSequential' : 'persistent' }),
    }),
  },
  set: {
    write: true,
    parse: (raw) => ({ path: str(raw, 'path'), data: str(raw, 'data'), version: version(raw) }),
    run: async (client, { path, data, version = -1 }) => ({ stat: statJson(await client.setData(path, data, version)) }),
  },
  delete: {
    write: true,
    parse: (raw) => ({ path: str(raw, 'path'), version: version(raw) }),
    run: async (client, { path, version = -1 }) => {
      await client.delete(path, version);
      return {};
    },
  },
  setAcl: {
    write: true,
    parse: (raw) => ({ path: str(raw, 'path'), acl: str(raw, 'acl'), version: version(raw) }),
    run: async (client, { path, acl, version = -1 }) => {
      const problems: string[] = [];
      const parsed = parseAcl(acl, (m) => problems.push(m));
      if (problems.length > 0 || parsed.length === 0) throw new BadArgumentsError(`setAcl ${path}: ${problems.join('; ') || 'empty ACL'}`);
      return { stat: statJson(await client.setACL(path, parsed, version)) };
    },
  },
};

/** `A`, when it may be given where `B` is expected. */
type Assignable<A extends B, B> = A;

/**
 * Checked by the compiler: what the shell's layer views answer is what
 * protocol.ts promises the UI. protocol.ts spells these shapes out again
 * because the browser bundle may not import Node code; this keeps the two
 * from drifting apart. Not used at run time.
 */
export type LayerResultsMatchProtocol = [
  Assignable<LogStatus, ActionResults['log']>,
  Assignable<LogSummary, ActionResults['logs']['logs'][number]>,
  Assignable<StorageNodeView, ActionResults['logNodes']['nodes'][number]>,
  Assignable<ServiceInfo, ActionResults['rpc'][number]>,
  Assignable<TablesStatus & { headline: string }, ActionResults['tables']['tables'][number]>,
];

/** A request checked against the list: its action, typed arguments, and whether it writes. */
export interface CheckedAction {
  readonly name: ActionName;
  readonly write: boolean;
  run(client: Client, env: ActionEnv): Promise<unknown>;
}

/**
 * Checks an untrusted action name and arguments against the list.
 *
 * @throws BadArgumentsError for an unknown action or bad arguments
 */
export function checkAction(name: unknown, rawArgs: unknown): CheckedAction {
  if (typeof name !== 'string' || !Object.hasOwn(definitions, name)) throw new BadArgumentsError(`unknown action: ${String(name)}`);
  if (typeof rawArgs !== 'object' || rawArgs === null || Array.isArray(rawArgs)) throw new BadArgumentsError(`${name}: args must be an object`);
  const def = definitions[name as ActionName] as ActionDef<ActionName>;
  const args = def.parse(rawArgs as Record<string, unknown>);
  return { name: name as ActionName, write: def.write, run: (client, env) => def.run(client, args, env) };
}

