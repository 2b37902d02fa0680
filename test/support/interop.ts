import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

/** The interpreter Debian's `python3-kazoo` installs into; a pyenv/venv python would not see it. */
export const PYTHON = '/usr/bin/python3';

/** Jars of Debian's `libcurator-*-java` packages, in classpath order. */
export const CURATOR_JARS: readonly string[] = [
  '/usr/share/java/curator-client.jar',
  '/usr/share/java/curator-framework.jar',
  '/usr/share/java/curator-recipes.jar',
];

/** The repository root (test files run from build/test/..., their data files stay in test/...). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

const cache = new Map<string, boolean>();

function probe(key: string, check: () => boolean): boolean {
  let value = cache.get(key);
  if (value === undefined) {
    try {
      value = check();
    } catch {
      value = false;
    }
    cache.set(key, value);
  }
  return value;
}

/** True when a `java` launcher on PATH (or `$JAVA`) starts. Cached per process. */
export function javaAvailable(): boolean {
  return probe('java', () => spawnSync(javaCommand(), ['-version'], { stdio: 'ignore', timeout: 30_000 }).status === 0);
}

/** The Java launcher the harness uses: `$JAVA` if set, otherwise `java` from PATH. */
export function javaCommand(): string {
  return process.env.JAVA ?? 'java';
}

/** True when `/usr/bin/python3` can import Kazoo. Cached per process. */
export function kazooAvailable(): boolean {
  return probe(
    'kazoo',
    () => spawnSync(PYTHON, ['-c', 'import kazoo'], { stdio: 'ignore', timeout: 30_000 }).status === 0,
  );
}

/** True when Java and the Curator jars are installed. Cached per process. */
export function curatorAvailable(): boolean {
  return probe('curator', () => javaAvailable() && CURATOR_JARS.every((jar) => existsSync(jar)));
}

/** True when this run must not silently skip interop suites. */
export function inCi(): boolean {
  return process.env.CI === 'true';
}

/**
 * Gate a test on an external tool.
 *
 * Outside CI a missing tool skips the test, so contributors without Java or
 * Kazoo can still run the suite. In CI a skip would hide lost interop coverage,
 * so it throws instead and the test fails.
 *
 * @param t the running test's context, or undefined when gating a whole suite
 *   (the caller then skips by itself when this returns false)
 * @param available whether the tool is present
 * @param what human-readable name of the tool, used in the skip/error message
 * @returns true when the test should go on
 */
export function requireTool(t: TestContext | undefined, available: boolean, what: string): boolean {
  if (available) return true;
  if (inCi()) {
    throw new Error(`${what} is required when CI=true (run .ci/run to install it)`);
  }
  t?.skip(`${what} not available`);
  return false;
}
