/**
 * The shell's state: the session to the server (one client, reconnecting
 * by itself), the lines run so far (zkCli's `history` and `redo`), and
 * where output goes. Commands run one at a time through {@link Shell.execute}.
 */
import { createClient, type Client, type ClientOptions, type ClientState, type WatchEvent } from '../client/index.js';
import { ClientClosedError } from '../errors.js';
import { parseInvocation, type ShellCommand, type ShellContext } from './command.js';
import type { AdminReader } from './session-hosts.js';
import { CommandUsageError, errorJson, errorText } from './errors.js';
import { splitWords } from './tokens.js';

/** Where the shell writes: results to `out`, zkCli's notices and errors to `err` (as zkCli 3.8 does). */
export interface ShellIO {
  out(text: string): void;
  err(text: string): void;
}

/** Options of a {@link Shell}. */
export interface ShellOptions {
  /** `host:port[,host:port...][/chroot]`. */
  readonly connectionString: string;
  /** The commands, by name. */
  readonly commands: ReadonlyMap<string, ShellCommand>;
  readonly io: ShellIO;
  /** Every command prints JSON (one value per line) instead of zkCli's text. Default false. */
  readonly json?: boolean;
  /** Print the session's state changes as zkCli's `WatchedEvent state:... type:None` lines. Default false. */
  readonly printStates?: boolean;
  /** Options of every client the shell creates (`connect` included). */
  readonly clientOptions?: ClientOptions;
  /** Reads the server's admin server (`herd shell --admin-url`): the views take the sessions' hosts from it. */
  readonly admin?: AdminReader;
}

/** zkCli's (ZooKeeper.States) name of a client state, for the prompt. */
export function stateName(state: ClientState | undefined): string {
  switch (state) {
    case 'connected':
      return 'CONNECTED';
    case 'connectedReadOnly':
      return 'CONNECTEDREADONLY';
    case 'connecting':
    case 'disconnected':
      return 'CONNECTING';
    case 'authFailed':
      return 'AUTH_FAILED';
    case 'expired':
    case 'closed':
      return 'CLOSED';
    default:
      return 'NOT_CONNECTED';
  }
}

/** The KeeperState zkCli prints with a watch event, for a client state entered. */
const KEEPER_STATES: Partial<Record<ClientState, string>> = {
  connected: 'SyncConnected',
  connectedReadOnly: 'ConnectedReadOnly',
  disconnected: 'Disconnected',
  expired: 'Expired',
  authFailed: 'AuthFailed',
  closed: 'Closed',
};

const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** An interactive or scripted session of `herd shell`. */
export class Shell implements ShellContext {
  private clientValue: Client | undefined;
  private connection: string;
  /** Every non-empty line run, in order: `history` numbers them from 0, `redo n` runs one again. */
  readonly history: string[] = [];
  /** Set by `quit`: the loop reading lines stops. */
  quitRequested = false;
  /** Watch events are printed (zkCli's `printwatches on|off`). */
  printWatches = true;
  /** Called after output printed between commands (a watch event), so an interactive prompt is drawn again. */
  onAsyncOutput: (() => void) | undefined;

  constructor(readonly options: ShellOptions) {
    this.connection = options.connectionString;
  }

  /** The client of the current session; fails with ClientClosedError after `close`. */
  get client(): Client {
    if (this.clientValue === undefined) throw new ClientClosedError('Not connected');
    return this.clientValue;
  }
  /** The connection string of the current (or last) session. */
  get connectionString(): string {
    return this.connection;
  }
  /** The admin server's reader given at start, if any. */
  get admin(): AdminReader | undefined {
    return this.options.admin;
  }
  /** True when every command prints JSON. */
  get json(): boolean {
    return this.options.json ?? false;
  }
  /** True while there is a client that is not closed. */
  get connected(): boolean {
    const state = this.clientValue?.state;
    return state !== undefined && state !== 'closed' && state !== 'authFailed';
  }

  /** zkCli's prompt: `[zk: host:port(CONNECTED) 3] `. */
  prompt(): string {
    return `[zk: ${this.connection}(${stateName(this.clientValue?.state)}) ${this.history.length}] `;
  }

  /**
   * Opens a session to `connectionString` (default: the current one),
   * closing the previous session first. The client reconnects by itself
   * after a connection loss and starts a new session after an expiry.
   *
   * @throws what {@link Client.connect} throws (OperationTimeoutError after connectTimeout, AuthFailedError)
   */
  async connect(connectionString = this.connection): Promise<void> {
    const previous = this.clientValue;
    this.connection = connectionString;
    // The new client is in place at once: commands typed meanwhile wait for its session.
    const client = createClient(connectionString, { reconnectOnExpiry: true, ...this.options.clientOptions });
    this.clientValue = client;
    for (const state of Object.keys(KEEPER_STATES) as ClientState[]) {
      client.on(state, () => {
        // The prompt shows the state: an interactive shell draws it again.
        if (this.options.printStates) this.printEvent(KEEPER_STATES[state]!, 'None', null);
        else this.onAsyncOutput?.();
      });
    }
    await previous?.close();
    await client.connect();
  }

  /** Closes the session, if any (zkCli's `close`). */
  async disconnect(): Promise<void> {
    await this.clientValue?.close();
  }

  /** Writes a command's result: `text` as it is, or `json` as one line of JSON. */
  result(text: string, json: unknown, asJson = this.json): void {
    if (asJson) this.options.io.out(`${JSON.stringify(json)}\n`);
    else if (text !== '') this.options.io.out(text);
  }

  /** Writes a notice zkCli prints on stderr (`Created /a`), or `json` on stdout. */
  notice(text: string, json: unknown, asJson = this.json): void {
    if (asJson) this.options.io.out(`${JSON.stringify(json)}\n`);
    else this.options.io.err(`${text}\n`);
  }

  /** Writes a warning line on stderr (zkCli's messages for a bad ACL entry, ...). */
  warn(message: string): void {
    this.options.io.err(this.json ? `${JSON.stringify({ warning: message })}\n` : `${message}\n`);
  }

  /** A listener for one-shot and persistent watches that prints each event as zkCli does. */
  readonly watcher = (event: WatchEvent | { type: 'resync'; path: string }): void => {
    if (event.type === 'resync') return;
    this.printEvent('SyncConnected', capitalize(event.type), event.path);
  };

  private printEvent(state: string, type: string, path: string | null): void {
    if (!this.printWatches) return;
    if (this.json) this.options.io.out(`${JSON.stringify({ event: { state, type, path } })}\n`);
    else this.options.io.out(`\nWATCHER::\n\nWatchedEvent state:${state} type:${type} path:${path}\n`);
    this.onAsyncOutput?.();
  }

  /**
   * Runs one line. Failures are printed (zkCli's wording), never thrown.
   *
   * @returns false when the command failed
   */
  async execute(line: string): Promise<boolean> {
    if (line.trim() === '') return true;
    this.history.push(line);
    let words = splitWords(line);
    try {
      if (words[0] === 'redo') words = this.redo(words);
      const name = words[0]!;
      const def = this.options.commands.get(name);
      if (def === undefined) throw new CommandUsageError(`Command not found: Command not found ${name}`);
      const invocation = parseInvocation(def, words.slice(1), this.json);
      if (!def.offline && !this.connected) {
        this.result('Not connected\n', { error: { code: 'CLIENT_CLOSED', message: 'Not connected' } }, invocation.json);
        return false;
      }
      await def.run(this, invocation);
      return true;
    } catch (err) {
      const asJson = this.json || words.includes('--json');
      this.options.io.err(asJson ? `${JSON.stringify(errorJson(err))}\n` : `${errorText(err)}\n`);
      return false;
    }
  }

  /** zkCli's `redo n`: the words of line n, which replaces the `redo` line in the history. */
  private redo(words: string[]): string[] {
    const index = Number(words[1]);
    const current = this.history.length - 1;
    if (words[1] === undefined || !Number.isInteger(index) || index < 0 || index >= current) {
      throw new CommandUsageError('Command index out of range');
    }
    const line = this.history[index]!;
    const again = splitWords(line);
    if (again[0] === 'redo') throw new CommandUsageError('No redoing redos');
    this.history[current] = line;
    return again;
  }
}
