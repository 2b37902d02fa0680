/**
 * zkCli's command-line splitting (ZooKeeperMain.MyCommandOptions): words
 * separated by blanks, a word in double or single quotes keeps its blanks
 * (the quotes are dropped).
 */
const WORD = /\s*([^"'\s]\S*|"[^"]*"|'[^']*')\s*/gy;

/** The words of `line`, as zkCli splits them. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  WORD.lastIndex = 0;
  for (;;) {
    const m = WORD.exec(line);
    if (m === null) break;
    const w = m[1]!;
    words.push(/^(["']).*\1$/s.test(w) && w.length >= 2 ? w.slice(1, -1) : w);
  }
  return words;
}
