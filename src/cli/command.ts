/**
 * What every `herd` command shares: how commander reports errors, the
 * version, the checks of numeric option values, the coordination client of
 * the commands that read a layer's state, and writing to a piped stdout.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Client } from '../client/index.js';
import { BadArgumentsError } from '../errors.js';

export { herdVersion } from '../base/version.js';

/**
 * Applies the settings every herd command has: commander's errors (unknown
 * option, missing value, excess argument) are printed as
 * `herd: <message>` followed by a hint to run `<name> --help`, and thrown as
 * CommanderError (main.ts turns them into the exit code) instead of commander
 * calling process.exit itself.
 *
 * @param name the command as the user types it, e.g. 'herd cluster status'
 */
export function configureCommand(command: Command, name = 'herd'): Command {
  return command
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'herd: ')) })
    .showHelpAfterError(`(run '${name} --help' for usage)`);
}

/**
 * A whole number option value, checked.
 *
 * @returns undefined when `text` is undefined (the option was not given)
 * @throws Error `--<flag> must be an integer from <min> to <max>, got '<text>'`
 */
export function intOption(flag: string, text: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new Error(`--${flag} must be an integer from ${min} to ${max}, got '${text}'`);
  }
  return n;
}

/** A TCP port option (0 to 65535; 0 lets the system pick). See {@link intOption}. */
export function portOption(flag: string, text: string | undefined): number | undefined {
  return intOption(flag, text, 0, 65535);
}

/**
 * `{ [key]: value }`, or `{}` when the value is undefined: spread into an
 * options object, it leaves out an option that was not given
 * (exactOptionalPropertyTypes forbids an explicit undefined).
 */
export function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

/**
 * Rows as aligned columns two spaces apart, the first row being the
 * header; the last column is not padded, so lines carry no trailing spaces.
 */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

/**
 * Runs `use` with a client connected to the coordination service named by a
 * command's `--coordination` option (10 s to connect, 10 s per request), and
 * closes the client afterwards, also when `use` throws.
 *
 * @throws BadArgumentsError when no connection string was given
 * @throws Error naming the connection string when connecting fails (its cause is the client's error)
 */
export async function withCoordinationClient<R>(connectionString: string | undefined, use: (client: Client) => Promise<R>): Promise<R> {
  if (connectionString === undefined || connectionString === '') throw new BadArgumentsError('--coordination <host:port> is required');
  // Loaded here, not at the top: `herd --help` and the commands that need no client start without it.
  const { createClient } = await import('../client/index.js');
  const client = createClient(connectionString, { connectTimeout: 10_000, requestTimeout: 10_000 });
  try {
    await client.connect().catch((error: unknown) => {
      throw new Error(`--coordination ${connectionString}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    });
    return await use(client);
  } finally {
    await client.close().catch(() => {});
  }
}

/** Writes to stdout, waiting when its buffer is full (a long listing piped to a slow reader). */
export function writeStdout(text: string): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.write(text)) resolve();
    else process.stdout.once('drain', resolve);
  });
}

/** The `--tls-*` flags of a command that connects to servers over TLS as a client. */
export interface ClientTlsFlags {
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsServername?: string;
}

/** Adds the client TLS flags (`--tls-ca`, `--tls-cert`, `--tls-key`, `--tls-servername`) to `command`. */
export function clientTlsFlags(command: Command, what: string): Command {
  return command
    .option('--tls-ca <file>', `connect to ${what} over TLS, trusting the CA certificates in this PEM file`)
    .option('--tls-cert <file>', 'with --tls-ca: the client certificate (PEM) for servers that require one')
    .option('--tls-key <file>', 'with --tls-ca: the client private key (PEM)')
    .option('--tls-servername <name>', "with --tls-ca: the name the server's certificate must carry");
}

/**
 * The client `tls` option from {@link clientTlsFlags}' values, the files
 * read; undefined without `--tls-ca`.
 *
 * @throws BadArgumentsError when --tls-cert, --tls-key or --tls-servername come without --tls-ca
 */
export function clientTlsOption(values: ClientTlsFlags): { ca: Buffer; cert?: Buffer; key?: Buffer; servername?: string } | undefined {
  if ((values.tlsCert || values.tlsKey || values.tlsServername) && !values.tlsCa) throw new BadArgumentsError('--tls-cert, --tls-key and --tls-servername need --tls-ca');
  if (!values.tlsCa) return undefined;
  const read = (file: string | undefined): Buffer | undefined => (file === undefined ? undefined : readFileSync(file));
  return { ca: read(values.tlsCa)!, ...optional('cert', read(values.tlsCert)), ...optional('key', read(values.tlsKey)), ...optional('servername', values.tlsServername) };
}
