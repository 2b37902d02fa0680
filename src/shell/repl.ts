/**
 * The interactive loop: Node's readline with tab completion of command
 * names and znode paths, a history kept in a file across sessions, and
 * zkCli's prompt showing the connection state.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface, type Completer } from 'node:readline';
import { parentPath } from '../base/path.js';
import type { Shell } from './shell.js';

/** Lines kept in the history file. */
const HISTORY_SIZE = 1000;
/** How long completion waits for the server before offering nothing. */
const COMPLETION_TIMEOUT = 1000;

/** The history file's lines, oldest first (none when it is missing or unreadable). */
function loadHistory(file: string): string[] {
  try {
    const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
    if (lines.length > HISTORY_SIZE) writeFileSync(file, lines.slice(-HISTORY_SIZE).join('\n') + '\n');
    return lines.slice(-HISTORY_SIZE);
  } catch {
    return [];
  }
}

/**
 * Completes the word under the cursor: a command name for the first word,
 * a child of the typed parent for a word starting with `/`.
 */
export function completer(shell: Shell, names: readonly string[]): Completer {
  return ((line: string, callback: (err: null, result: [string[], string]) => void) => {
    const word = /\S*$/.exec(line)![0];
    if (line.trimStart() === word) {
      callback(null, [names.filter((n) => n.startsWith(word)), word]);
      return;
    }
    if (!word.startsWith('/') || !shell.connected) {
      callback(null, [[], word]);
      return;
    }
    const dir = word.endsWith('/') ? word.replace(/\/+$/, '') || '/' : parentPath(word);
    const base = dir === '/' ? '/' : `${dir}/`;
    const timer = new Promise<string[]>((resolve) => setTimeout(() => resolve([]), COMPLETION_TIMEOUT).unref());
    Promise.race([shell.client.getChildren(dir), timer])
      .catch(() => [] as string[])
      .then((children) => {
        const hits = children.map((c) => base + c).filter((p) => p.startsWith(word)).sort();
        callback(null, [hits, word]);
      });
  }) as unknown as Completer;
}

/**
 * Reads lines from the terminal until `quit` or end of input, running each.
 * Every line is appended to `historyFile` (when given).
 */
export async function runInteractive(shell: Shell, names: readonly string[], io: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream }, historyFile?: string): Promise<void> {
  const rl = createInterface({
    input: io.input,
    output: io.output,
    terminal: true,
    completer: completer(shell, names),
    history: historyFile === undefined ? [] : loadHistory(historyFile).reverse(),
    historySize: HISTORY_SIZE,
    removeHistoryDuplicates: true,
  });
  const redraw = (): void => {
    rl.setPrompt(shell.prompt());
    rl.prompt(true);
  };
  let busy = false;
  shell.onAsyncOutput = () => {
    if (!busy) redraw();
  };
  redraw();
  try {
    for await (const line of rl) {
      busy = true;
      if (historyFile !== undefined && line.trim() !== '') {
        try {
          appendFileSync(historyFile, `${line}\n`);
        } catch {
          // An unwritable history file must not stop the shell.
        }
      }
      await shell.execute(line);
      busy = false;
      if (shell.quitRequested) break;
      redraw();
    }
  } finally {
    shell.onAsyncOutput = undefined;
    rl.close();
  }
}
