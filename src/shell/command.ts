/**
 * What a shell command is, and how its words are parsed: each command
 * declares its flags on a commander Command, which parses the words of one
 * line (flags may follow the arguments, as zkCli's commons-cli allows).
 */
import { Command, CommanderError } from 'commander';
import type { Client, WatchEvent } from '../client/index.js';
import { CommandUsageError } from './errors.js';
import type { AdminReader } from './session-hosts.js';

/** The parsed flags of one command line: booleans for switches, strings for flags with a value. */
export type Flags = Readonly<Record<string, string | boolean | undefined>>;

/** One command line, parsed. */
export interface Invocation {
  /** The arguments, flags removed. */
  readonly args: readonly string[];
  readonly flags: Flags;
  /** Print JSON instead of text (the shell's `--json`, or the command's own). */
  readonly json: boolean;
  /** The words after the command's name, as typed (flag order matters to some of zkCli's checks). */
  readonly words?: readonly string[];
}

/** What a command sees of the shell (implemented by {@link Shell}). */
export interface ShellContext {
  /** The session's client; ClientClosedError after `close`. */
  readonly client: Client;
  readonly connectionString: string;
  /** True while there is a session that is not closed. */
  readonly connected: boolean;
  /** The lines run so far, numbered from 0. */
  readonly history: readonly string[];
  quitRequested: boolean;
  printWatches: boolean;
  /**
   * Reads the `cons` command of the server's admin server, when one is
   * known (the dashboard's); the `locks` view names the session's hosts with it.
   */
  readonly admin?: AdminReader | undefined;
  /** Prints a watch event as zkCli does. */
  readonly watcher: (event: WatchEvent | { type: 'resync'; path: string }) => void;
  connect(connectionString?: string): Promise<void>;
  disconnect(): Promise<void>;
  /** Writes a result: `text`, or `json` as one line. */
  result(text: string, json: unknown, asJson?: boolean): void;
  /** Writes a notice zkCli prints on stderr (`Created /a`), or `json` on stdout. */
  notice(text: string, json: unknown, asJson?: boolean): void;
  /** Writes a warning on stderr. */
  warn(message: string): void;
}

/** A command of the shell: one file under commands/ each. */
export interface ShellCommand {
  readonly name: string;
  /** The synopsis, as zkCli prints it for a wrong line (`ls [-s] [-w] [-R] path`). */
  readonly usage: string;
  /** One line for `help`. */
  readonly summary: string;
  /** Arguments required; fewer prints {@link usage}. Default 0. */
  readonly minArgs?: number;
  /** True when the command needs no live session (history, connect, quit, ...). */
  readonly offline?: boolean;
  /** Declares the command's flags (short ones as zkCli's: `-s`, `-v <version>`). */
  readonly flags?: (command: Command) => Command;
  /**
   * zkCli's flags with a long name behind one dash (reconfig's `-add`,
   * `-members`): typed so, they are read as the `--add`, `--members` the
   * command declares.
   */
  readonly singleDashLong?: readonly string[];
  run(shell: ShellContext, invocation: Invocation): Promise<void>;
}

/** The message of commander's error as commons-cli (zkCli's parser) words it. */
function zkCliParseMessage(err: CommanderError): string {
  const unknown = /unknown option '([^']+)'/.exec(err.message);
  if (unknown) return `org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: ${unknown[1]}`;
  const missing = /option '--?(\w+)/.exec(err.message);
  if (err.code === 'commander.optionMissingArgument' && missing) {
    return `org.apache.commons.cli.MissingArgumentException: Missing argument for option: ${missing[1]}`;
  }
  return err.message.replace(/^error: /, '');
}

/**
 * Parses the words after the command's name.
 *
 * @throws CommandUsageError with zkCli's message for an unknown flag, a flag
 *   without its value, or too few arguments (then the message is the usage)
 */
export function parseInvocation(def: ShellCommand, words: readonly string[], json: boolean): Invocation {
  let command = new Command(def.name)
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined })
    .helpOption(false)
    .allowExcessArguments(true)
    .argument('[args...]')
    .option('--json', 'print the result as JSON');
  if (def.flags) command = def.flags(command);
  const long = new Set(def.singleDashLong ?? []);
  const typed = words.map((w) => (long.has(w.slice(1)) && w.startsWith('-') && !w.startsWith('--') ? `-${w}` : w));
  try {
    command.parse(typed, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) throw new CommandUsageError(zkCliParseMessage(err));
    throw err;
  }
  const args = (command.processedArgs[0] as string[] | undefined) ?? [];
  const flags = command.opts<Record<string, string | boolean | undefined>>();
  if (args.length < (def.minArgs ?? 0)) throw new CommandUsageError(def.usage);
  return { args, flags, json: json || flags['json'] === true, words };
}

/** A whole-number flag or argument, e.g. `-v 3`; zkCli's NumberFormatException wording otherwise. */
export function intArg(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n)) throw new CommandUsageError(`For input string: "${text}"`);
  return n;
}
