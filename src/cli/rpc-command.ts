/**
 * `herd rpc ls` and `herd rpc call`: the registry of remote objects
 * (herd-zk/rpc, docs/rpc.md) and one call of a served method, for
 * operators. Neither writes to the registry: `call` reads it first and
 * only looks the service up once a live instance exposes the method, so a
 * mistyped name leaves no service node behind.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { createClient, type Client } from '../client/index.js';
import { BadArgumentsError, TimeoutError } from '../errors.js';
import {
  DEFAULT_CALL_TIMEOUT,
  NotExposedError,
  PROTOCOL_NAME,
  PROTOCOL_VERSION,
  RemoteError,
  closeRemote,
  list,
  lookup,
  type InstanceInfo,
  type LookupOptions,
  type ServiceInfo,
} from '../rpc/index.js';
import { DEFAULT_PYRO4_NS_PORT, startPyroNameServer } from '../rpc/pyro/index.js';
import { clientTlsFlags, clientTlsOption, configureCommand, formatTable, intOption, optional, withCoordinationClient, type ClientTlsFlags } from './command.js';

interface LsValues {
  coordination: string;
  json?: boolean;
}

interface CallValues extends ClientTlsFlags {
  coordination: string;
  timeout?: string;
  tags?: string;
  secretFile?: string;
}

/** The longest deadline a timer can have (setTimeout's limit), in ms. */
const MAX_TIMEOUT = 2 ** 31 - 1;

const COORDINATION = ['--coordination <conn>', 'coordination service: host:port[,host:port...][/chroot]'] as const;

/** `herd rpc`, with its subcommands `ls` and `call`. */
export function rpcCommand(): Command {
  const rpc = configureCommand(new Command('rpc'), 'herd rpc').description('list and call remote objects (herd-zk/rpc)');
  const ls = configureCommand(new Command('ls'), 'herd rpc ls')
    .description('list the services in the registry: their live instances, tags and methods (nothing is written)')
    .argument('[name]', 'only this service')
    .requiredOption(...COORDINATION)
    .option('--json', 'print the services as JSON instead of a table')
    .action((name: string | undefined, values: LsValues) => runLs(name, values));
  const call = clientTlsFlags(configureCommand(new Command('call'), 'herd rpc call'), 'the served object')
    .description('call a method of a served object and print its result as JSON')
    .argument('<name>', 'the service')
    .argument('<method>', 'the method, one the service exposes')
    .argument('[args...]', `the method's arguments, each one JSON value (a string with its quotes: '"text"')`)
    .requiredOption(...COORDINATION)
    .option('--timeout <ms>', `the call's deadline (default ${DEFAULT_CALL_TIMEOUT})`)
    .option('--tags <k=v,...>', 'call an instance whose tags include all of these')
    .option('--secret-file <file>', "the service's shared secret: this file's contents (a trailing newline is dropped)")
    .action((name: string, method: string, args: string[], values: CallValues) => runCall(name, method, args, values));
  rpc.addCommand(ls);
  rpc.addCommand(call);
  rpc.addCommand(pyroNsCommand());
  return rpc;
}

interface PyroNsValues {
  coordination?: string;
  connect?: string;
  host: string;
  port: string;
  advertisedHost?: string;
  hmacKeyEnv?: string;
  cleanInterval?: string;
}

/**
 * `herd rpc pyro-ns`: a Pyro4 name server over the registry
 * (startPyroNameServer, docs/pyro4.md). Prints its URI, runs until SIGINT
 * or SIGTERM. Several, on other hosts or ports, serve the same names.
 */
function pyroNsCommand(): Command {
  return configureCommand(new Command('pyro-ns'), 'herd rpc pyro-ns')
    .description("run a Pyro4 name server (Python's Pyro4.locateNS, PYRONAME:) whose names live in the registry")
    .option('--coordination <conn>', 'coordination service: host:port[,host:port...][/chroot] (or --connect)')
    .option('--connect <conn>', 'the same as --coordination')
    .option('--host <addr>', 'listen address', '127.0.0.1')
    .option('--port <n>', "port; 0 picks a free one (Pyro4's default: 9090)", String(DEFAULT_PYRO4_NS_PORT))
    .option('--advertised-host <h>', 'host written in URIs (default: --host)')
    .option('--hmac-key-env <var>', "read Pyro4's HMAC key from this environment variable (a key on the command line would show in ps)")
    .option('--clean-interval <ms>', 'every <ms>, remove names registered through a name server whose object no longer answers (default: off)')
    .action((values: PyroNsValues) => runPyroNs(values));
}

async function runPyroNs(values: PyroNsValues): Promise<void> {
  const coordination = values.coordination ?? values.connect;
  if (coordination === undefined) throw new BadArgumentsError('pyro-ns needs --coordination <host:port> (or --connect)');
  const hmacKey = values.hmacKeyEnv === undefined ? undefined : process.env[values.hmacKeyEnv];
  if (values.hmacKeyEnv !== undefined && !hmacKey) throw new BadArgumentsError(`--hmac-key-env: environment variable ${values.hmacKeyEnv} is not set`);
  const cleanInterval = intOption('clean-interval', values.cleanInterval, 1);
  // A name server outlives any one session: after an expiry it must read and watch the names again.
  const client = createClient(coordination, { connectTimeout: 10_000, reconnectOnExpiry: true });
  await client.connect().catch((error: unknown) => {
    throw new Error(`--coordination ${coordination}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  });
  const ns = await startPyroNameServer({
    client,
    host: values.host,
    port: intOption('port', values.port, 0, 65535)!,
    ...optional('advertisedHost', values.advertisedHost),
    ...optional('hmacKey', hmacKey),
    ...optional('cleanInterval', cleanInterval),
  });
  process.stdout.write(`herd rpc pyro-ns: serving ${ns.uri}\n`);
  const stop = (): void => {
    void ns
      .close()
      .then(() => client.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function runLs(name: string | undefined, values: LsValues): Promise<void> {
  const services = await withCoordinationClient(values.coordination, (client) => list(client, name));
  process.stdout.write(values.json ? `${JSON.stringify(services, null, 2)}\n` : formatServices(services));
}

async function runCall(name: string, method: string, texts: readonly string[], values: CallValues): Promise<void> {
  // Everything the user typed is checked before connecting.
  const args = parseJsonArguments(texts);
  const tags = parseTags(values.tags);
  const timeout = intOption('timeout', values.timeout, 1, MAX_TIMEOUT) ?? DEFAULT_CALL_TIMEOUT;
  const result = await withCoordinationClient(values.coordination, async (client) => {
    await checkCallable(client, name, method, tags);
    const remote = await lookup<Record<string, (...args: unknown[]) => unknown>>(client, name, {
      ...optional('tags', tags),
      ...callSecurity(values),
      timeout,
      callTimeout: timeout,
    });
    try {
      return await remote[method]!(...args);
    } catch (error) {
      if (error instanceof RemoteError) throw new Error(`${error.name} ${error.code}: ${error.message}`, { cause: error });
      // Said with the deadline the operator gave, not the fraction of it left after the lookup.
      if (error instanceof TimeoutError) throw new TimeoutError(`rpc call ${name}.${method}: no reply within ${timeout} ms (--timeout)`, { cause: error });
      throw error;
    } finally {
      await closeRemote(remote);
    }
  });
  process.stdout.write(`${formatResult(result)}\n`);
}

/** lookup's `tls` and `secret` from `--tls-*` and `--secret-file`. */
function callSecurity(values: CallValues): Pick<LookupOptions, 'tls' | 'secret'> {
  const out: Pick<LookupOptions, 'tls' | 'secret'> = {};
  const tls = clientTlsOption(values);
  if (tls !== undefined) out.tls = tls;
  if (values.secretFile !== undefined) out.secret = readFileSync(values.secretFile, 'utf8').replace(/\r?\n$/, '');
  return out;
}

/**
 * Throws unless a live instance of `name` (speaking this protocol, with
 * `tags`) exposes `method`: an Error for no such instance, NotExposedError
 * (listing what is exposed) for a method none of them exposes.
 */
async function checkCallable(client: Client, name: string, method: string, tags: Readonly<Record<string, string>> | undefined): Promise<void> {
  const [service] = await list(client, name);
  const callable = service!.instances.filter((i) => i.protocol === PROTOCOL_NAME && i.version === PROTOCOL_VERSION && hasTags(i, tags));
  if (callable.length === 0) {
    const which = tags === undefined ? '' : ` with tags ${formatTags(tags)}`;
    throw new Error(`rpc call ${name}.${method}: no live instance of service '${name}'${which} (see herd rpc ls)`);
  }
  if (!callable.some((i) => i.methods.includes(method))) {
    const exposed = [...new Set(callable.flatMap((i) => i.methods))].sort().join(', ');
    throw new NotExposedError(`rpc call ${name}.${method}: method '${method}' is not exposed (exposed: ${exposed})`);
  }
}

function hasTags(instance: InstanceInfo, tags: Readonly<Record<string, string>> | undefined): boolean {
  return Object.entries(tags ?? {}).every(([k, v]) => instance.tags[k] === v);
}

/**
 * The arguments of `herd rpc call`, each parsed as one JSON value.
 *
 * @throws BadArgumentsError naming the first argument that is not valid JSON (by position and text)
 */
export function parseJsonArguments(texts: readonly string[]): unknown[] {
  return texts.map((text, i) => {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new BadArgumentsError(
        `argument ${i + 1} is not valid JSON: ${text} (${(error as Error).message}); a string is written with its quotes: '${JSON.stringify(text)}'`,
      );
    }
  });
}

/**
 * `--tags k=v,k2=v2` as an object; undefined when the option was not given.
 *
 * @throws BadArgumentsError for a pair without `=` or with an empty key
 */
export function parseTags(text: string | undefined): Record<string, string> | undefined {
  if (text === undefined) return undefined;
  return Object.fromEntries(
    text.split(',').map((pair) => {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new BadArgumentsError(`--tags: '${pair}' is not key=value`);
      return [pair.slice(0, eq), pair.slice(eq + 1)];
    }),
  );
}

/**
 * The `herd rpc ls` table: per service a line with its instance count,
 * then one row per instance (address, identifier, pid, protocol/version,
 * tags, methods); services separated by a blank line. `no services` when
 * the registry is empty.
 */
export function formatServices(services: readonly ServiceInfo[]): string {
  if (services.length === 0) return 'no services\n';
  const blocks = services.map((s) => {
    const n = s.instances.length;
    const head = `${s.name}: ${n === 0 ? 'no live instance' : `${n} instance${n === 1 ? '' : 's'}`}\n`;
    if (n === 0) return head;
    const rows = [['ADDRESS', 'IDENTIFIER', 'PID', 'PROTOCOL', 'TAGS', 'METHODS']];
    for (const i of s.instances) {
      rows.push([i.address, i.identifier || '-', String(i.pid), `${i.protocol}/${i.version}`, formatTags(i.tags) || '-', i.methods.join(',') || '-']);
    }
    return head + formatTable(rows);
  });
  return blocks.join('\n');
}

function formatTags(tags: Readonly<Record<string, string>>): string {
  return Object.entries(tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/**
 * A call's result as JSON, indented by two spaces, with what JSON lacks
 * made readable (so the output still parses, e.g. with jq): a bigint as
 * its digits (a JSON number, exact), a Date as its ISO string, a Map as an
 * object (an array of [key, value] pairs when a key is not a string), a
 * Set as an array, a Buffer / Uint8Array as a base64 string, other typed
 * arrays as arrays of numbers, NaN and ±Infinity as strings, an Error as
 * `{ name, message, code }`, undefined as null (left out of objects).
 */
export function formatResult(value: unknown, indent = ''): string {
  switch (typeof value) {
    case 'bigint':
      return value.toString();
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : JSON.stringify(String(value));
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      return 'null';
  }
  if (value === null) return 'null';
  if (value instanceof Date) return JSON.stringify(Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString());
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'));
  const inner = `${indent}  `;
  const items = (values: Iterable<unknown>): string => bracket([...values].map((v) => formatResult(v, inner)), '[', ']', indent);
  if (Array.isArray(value) || value instanceof Set) return items(value);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return items(value as unknown as Iterable<number | bigint>);
  let entries: [unknown, unknown][];
  if (value instanceof Map) {
    entries = [...(value as Map<unknown, unknown>)];
    if (!entries.every(([k]) => typeof k === 'string')) return items(entries);
  } else if (value instanceof Error) {
    entries = [['name', value.name], ['message', value.message], ['code', (value as { code?: unknown }).code]];
  } else {
    entries = Object.entries(value);
  }
  const members = entries.filter(([, v]) => v !== undefined).map(([k, v]) => `${JSON.stringify(k)}: ${formatResult(v, inner)}`);
  return bracket(members, '{', '}', indent);
}

function bracket(members: readonly string[], open: string, close: string, indent: string): string {
  if (members.length === 0) return open + close;
  return `${open}\n${members.map((m) => `${indent}  ${m}`).join(',\n')}\n${indent}${close}`;
}
