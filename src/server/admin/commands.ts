/**
 * ZooKeeper 3.8's admin commands, each in one place: a function that
 * returns the command's data as a structured object (keys and order as in
 * ZooKeeper's AdminServer JSON), and, for those with a four-letter word, the
 * function that renders that object as ZooKeeper's 4lw text. The HTTP admin
 * server sends the object as JSON; the client port sends the text.
 *
 * Formats follow ZooKeeper 3.8 (command/*.java, ServerStats.toString,
 * ServerCnxn.dumpConnectionInfo, ExpiryQueue.dump, DataTree.dumpEphemerals,
 * WatchManager.dumpWatches, admin/Commands.java). Where Herd has no
 * counterpart the value ZooKeeper prints in that situation is used (-1 for
 * secureClientPort when there is none, 0 for server id and for TLS and quorum
 * counters). `envi` names Node.js instead of the JVM: `node.*` keys where
 * ZooKeeper has `java.*`.
 */

import type { ServerView } from '../server-view.js';
import type { AdminCommand, CommandArgs, JsonObject } from './command.js';
import { conf, dirs, dump, envi, gtmk, hash, isro, ruok, stmk, wchc, wchp, wchs } from './info-commands.js';
import { cons, crst, mntr, srst, srvr, stat } from './stat-commands.js';

export { DEFAULT_TRACE_MASK, FULL_VERSION, HERD_VERSION } from './command.js';
export type { AdminCommand, CommandArgs } from './command.js';
export { approximateDataSize, bytesReceived, bytesSent } from './command-format.js';

const NO_ARGS: CommandArgs = {};

/** Every command, in the order /commands lists them (sorted by primary name, as ZooKeeper does). */
export const COMMANDS: readonly AdminCommand[] = [conf, crst, cons, dirs, dump, envi, gtmk, hash, isro, mntr, ruok, srvr, srst, stat, stmk, wchs, wchc, wchp].sort((a, b) =>
  a.names[0]!.localeCompare(b.names[0]!),
);

const byName = new Map<string, AdminCommand>();
const byWord = new Map<string, AdminCommand>();
for (const c of COMMANDS) {
  for (const name of c.names) byName.set(name, c);
  if (c.word) byWord.set(c.word, c);
}

/** The command with this AdminServer name or alias. */
export function commandByName(name: string): AdminCommand | undefined {
  return byName.get(name);
}

/** The command answering this four-letter word. */
export function commandByWord(word: string): AdminCommand | undefined {
  return byWord.get(word);
}

/** Runs a command for the HTTP admin server: its object plus "command" (primary name) and "error", as ZooKeeper's CommandResponse. */
export async function runCommand(server: ServerView, name: string, args: CommandArgs = NO_ARGS): Promise<JsonObject> {
  const command = commandByName(name);
  if (!command) return { command: name, error: `Unknown command: ${name}` };
  try {
    const data = await command.run(server, args);
    // A command that fails on its arguments reports it in "error", as ZooKeeper's CommandResponse.
    return { ...data, command: command.names[0]!, error: data.error ?? null };
  } catch (err) {
    return { command: command.names[0]!, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Runs a command and renders its four-letter-word text. */
export async function runFourLetterWord(server: ServerView, command: AdminCommand, args: CommandArgs = NO_ARGS): Promise<string> {
  const data = await command.run(server, args);
  return command.text ? command.text(data, server) : '';
}
