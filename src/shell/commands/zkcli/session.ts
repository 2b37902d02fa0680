/** zkCli's session commands: `connect host:port`, `close`, `quit`, `history`, `redo cmdno`. */
import type { ShellCommand } from '../../command.js';
import { CommandUsageError } from '../../errors.js';

export const connect: ShellCommand = {
  name: 'connect',
  usage: 'connect host:port',
  summary: 'close the session and open one to another server (default: the same)',
  offline: true,
  async run(shell, { args, json }) {
    await shell.connect(args[0]);
    shell.result('', { connected: shell.connectionString }, json);
  },
};

export const close: ShellCommand = {
  name: 'close',
  usage: 'close ',
  summary: 'close the session (connect opens a new one)',
  offline: true,
  async run(shell, { json }) {
    await shell.disconnect();
    shell.result('', { closed: true }, json);
  },
};

export const quit: ShellCommand = {
  name: 'quit',
  usage: 'quit ',
  summary: 'close the session and leave the shell',
  offline: true,
  async run(shell) {
    shell.quitRequested = true;
  },
};

/** How many lines before the last one `history` shows, as zkCli. */
const HISTORY_SHOWN = 10;

export const history: ShellCommand = {
  name: 'history',
  usage: 'history ',
  summary: 'list the last commands, numbered for redo',
  offline: true,
  async run(shell, { json }) {
    const last = shell.history.length - 1;
    const lines: { index: number; command: string }[] = [];
    for (let i = Math.max(0, last - HISTORY_SHOWN); i <= last; i++) lines.push({ index: i, command: shell.history[i]! });
    shell.result(lines.map((l) => `${l.index} - ${l.command}\n`).join(''), { history: lines }, json);
  },
};

/** `redo n` is run by the shell itself (it replaces the line); this entry gives it help and completion. */
export const redo: ShellCommand = {
  name: 'redo',
  usage: 'redo cmdno',
  summary: 'run command number n of history again',
  offline: true,
  async run() {
    throw new CommandUsageError('redo cmdno');
  },
};
