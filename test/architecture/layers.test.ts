import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../support/interop.js';

/**
 * The layer check of docs/conventions.md section 8 (.dependency-cruiser.cjs,
 * `npm run lint:layers`): it reports each kind of violation in a fake tree,
 * and none in the real src/.
 */

// This file runs from build/test/architecture/; the config and fixtures are
// read from the repository, not from the build.
const root = repoRoot();
const CONFIG = join(root, '.dependency-cruiser.cjs');
const CLI = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const FIXTURES = join(root, 'test', 'architecture', 'fixtures');

interface Violation {
  type: string;
  from: string;
  to: string;
  /** The specifier as written in the import. */
  unresolvedTo: string;
  rule: { name: string; severity: string };
}

/** Runs the depcruise CLI as `npm run lint:layers` does, on `src` under `cwd`. */
function cruise(cwd: string): Promise<Violation[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI, 'src', '--config', CONFIG, '--output-type', 'json'],
      { cwd, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        let result: { summary: { violations: Violation[] } };
        try {
          result = JSON.parse(stdout);
        } catch {
          reject(new Error(`depcruise printed no JSON (${error?.message ?? 'exit 0'}):\n${stderr}`));
          return;
        }
        resolve(result.summary.violations);
      },
    );
  });
}

let fixtureRun: Promise<Violation[]> | undefined;
/** The fixture tree is cruised once for all the tests that read it. */
const cruiseFixtures = (): Promise<Violation[]> => (fixtureRun ??= cruise(FIXTURES));

const describeViolation = (v: Violation): string => `${v.rule.name}: ${v.from} -> ${v.unresolvedTo}`;

describe('layer order (.dependency-cruiser.cjs)', () => {
  it('reports every violation in the fixture tree, by rule, and nothing the order allows', { timeout: 60_000 }, async () => {
    const violations = await cruiseFixtures();
    assert.ok(violations.every((v) => v.rule.severity === 'error'));
    // Exactly these: each file marked VIOLATION in the fixtures, once. Every
    // other import there is one the order allows, so a rule that forbids too
    // much fails here as surely as one that forbids too little.
    assert.deepEqual(violations.map(describeViolation).sort(), [
      'client-not-to-server-or-above: src/client/uses-recipes.ts -> ../recipes/lock.js',
      'index-not-to-cli: src/index.ts -> ./cli/main.js',
      'jute-imports-nothing: src/jute/uses-errors.ts -> ../errors.js',
      'no-circular: src/base/cycle-a.ts -> ./cycle-b.js',
      'not-in-a-layer: src/shared/util.ts -> ../base/clock.js',
      'not-to-unresolvable: src/cluster/uses-missing.ts -> ../recipes/no-such-module.js',
      'rpc-not-to-cluster-log-or-above: src/rpc/uses-cluster.ts -> ../cluster/node.js',
      'server-not-to-client-or-above: src/server/uses-client.ts -> ../client/client.js',
      'src-not-to-dev-dependency: src/recipes/uses-dev-dependency.ts -> fast-check',
      'src-not-to-test-or-bench: src/recipes/uses-test.ts -> ../../test/helper.js',
    ]);
  });

  it('reports a cycle with its path', { timeout: 60_000 }, async () => {
    const violations = await cruiseFixtures();
    const cycle = violations.find((v) => v.type === 'cycle') as (Violation & { cycle: { name: string }[] }) | undefined;
    assert.ok(cycle, 'no cycle reported');
    assert.deepEqual(
      cycle.cycle.map((step) => step.name),
      ['src/base/cycle-b.ts', 'src/base/cycle-a.ts'],
    );
  });

  it('finds no violation in src/', { timeout: 120_000 }, async () => {
    const violations = await cruise(root);
    assert.deepEqual(violations.map(describeViolation), [], 'run `npm run lint:layers` for details');
  });
});
