#!/usr/bin/env node
// Runs the compiled test suite: every build/test/**/*.test.js, through node's
// built-in runner. `npm test` compiles with tsconfig.test.json first.
//
//   node test/run.mjs                      all tests
//   node test/run.mjs zookeeper jute/      only files whose path contains a filter
//   node test/run.mjs --test-name-pattern=ruok zookeeper
//                                           arguments starting with "-" go to node
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const buildDir = join(root, 'build', 'test');

const nodeArgs = process.argv.slice(2).filter((a) => a.startsWith('-'));
const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));

/** @param {string} dir @returns {string[]} */
function findTests(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return findTests(path);
      return entry.isFile() && entry.name.endsWith('.test.js') ? [path] : [];
    })
    .sort();
}

// build/ is never cleaned, so a test whose source was deleted or renamed would
// keep running from its stale .js; only run files that still have a source.
/** @param {string} built */
function hasSource(built) {
  const rel = relative(join(root, 'build'), built).slice(0, -'.js'.length);
  return ['.ts', '.mts', '.tsx', '.js', '.mjs'].some((ext) => existsSync(join(root, rel + ext)));
}

const all = findTests(buildDir);
const stale = all.filter((f) => !hasSource(f));
for (const f of stale) console.error(`test/run.mjs: skipping ${relative(root, f)} (no source file any more)`);

const display = (f) => relative(buildDir, f).split(sep).join('/');
const files = all
  .filter((f) => !stale.includes(f))
  .filter((f) => filters.length === 0 || filters.some((needle) => display(f).includes(needle)));

if (files.length === 0) {
  console.error(
    all.length === 0
      ? `test/run.mjs: no *.test.js under ${relative(root, buildDir)}/ (run "npm run build:test" first)`
      : `test/run.mjs: no test file matches ${filters.map((f) => JSON.stringify(f)).join(', ')}`,
  );
  process.exit(1);
}

const child = spawn(
  process.execPath,
  [
    '--test',
    '--test-concurrency=2',
    '--test-reporter=spec',
    // node applies this to each test and hook, and to each file as a whole
    // (a file is one test of the run): long enough for the files that spawn
    // many `herd` processes on a loaded 2-core machine (cli/main and
    // cli/rpc-command took 120 s with helpers running beside the suite),
    // short enough to turn a hung test into a failure instead of a wedged run.
    '--test-timeout=240000',
    ...nodeArgs,
    ...files,
  ],
  { cwd: root, stdio: 'inherit' },
);

// Forward Ctrl-C/termination so the runner can tear down its children (and their JVMs).
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => child.kill(signal));
}

child.on('exit', (code, signal) => {
  process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0));
});
