/**
 * `herd shell` on a pseudo-terminal (util-linux's `script` gives the child
 * a pty; no pty library is needed): zkCli's prompt with the connection
 * state, tab completion of commands and znode paths, and the history file
 * kept across sessions (the up arrow recalls a line of the last session).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { requireTool } from '../support/interop.js';
import { connect, forEachTarget, uniquePath, waitFor } from '../support/targets.js';
import { HERD_CLI } from './run-shell.js';

const scriptAvailable = (): boolean => spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

/** Escape sequences (cursor moves, line clears) readline draws with; the text is what a user reads. */
const plain = (s: string): string => s.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, '');

interface Terminal {
  write(keys: string): void;
  screen(): string;
  /** Resolves when the shell has exited. */
  exited(): Promise<void>;
  close(): Promise<void>;
}

function terminal(connectionString: string, historyFile: string): Terminal {
  const command = `${process.execPath} ${HERD_CLI} shell ${connectionString} --history-file ${historyFile}`;
  const child: ChildProcess = spawn('script', ['-qfec', command, '/dev/null'], { stdio: 'pipe', env: { ...process.env, TERM: 'xterm' } });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return {
    write: (keys) => void child.stdin!.write(keys),
    screen: () => plain(out),
    exited: () => exited,
    close: async () => {
      child.kill();
      await exited;
    },
  };
}

forEachTarget('herd shell on a terminal', (target) => {
  let dir = '';
  let root = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'herd-shell-tty-'));
    const client = await connect(target());
    root = uniquePath('shell-tty');
    await client.create(root, 'r');
    await client.create(`${root}/alpha`, 'a');
    await client.create(`${root}/beta`, 'b');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('shows the state in the prompt, completes commands and paths, and keeps history across sessions', { timeout: 240_000 }, async (t) => {
    if (!requireTool(t, scriptAvailable(), "util-linux's script (a pseudo-terminal)")) return;
    const history = join(dir, 'history');
    const term = terminal(target().connectionString, history);
    try {
      await waitFor(() => term.screen().includes(`(CONNECTED) 0] `), 30_000, 'the first prompt');
      assert.match(term.screen(), /WatchedEvent state:SyncConnected type:None path:null/);
      // A unique command prefix completes in place.
      term.write('getAllC');
      term.write('\t');
      await waitFor(() => term.screen().includes('getAllChildrenNumber'), 30_000, 'command completion');
      term.write(` ${root}\r`);
      await waitFor(() => term.screen().includes('\n2\n'), 30_000, 'getAllChildrenNumber ran');
      // A path: the single child starting with `al` completes.
      term.write(`get ${root}/al`);
      term.write('\t');
      await waitFor(() => term.screen().includes(`get ${root}/alpha`), 30_000, 'path completion');
      term.write('\r');
      await waitFor(() => /\na\n/.test(term.screen()), 30_000, 'get ran');
      assert.match(term.screen(), /\(CONNECTED\) 2\] $/);
      term.write('quit\r');
      await term.exited();
    } finally {
      await term.close();
    }
    assert.equal(await readFile(history, 'utf8'), `getAllChildrenNumber ${root}\nget ${root}/alpha\nquit\n`);

    // A new session: the up arrow brings back the last session's lines.
    const again = terminal(target().connectionString, history);
    try {
      await waitFor(() => again.screen().includes('(CONNECTED) 0] '), 30_000, 'the first prompt');
      again.write('\u001b[A\u001b[A');
      await waitFor(() => again.screen().includes(`get ${root}/alpha`), 30_000, 'history recalled');
      again.write('\r');
      await waitFor(() => /\na\n/.test(again.screen()), 30_000, 'the recalled line ran');
    } finally {
      await again.close();
    }
  });
});
