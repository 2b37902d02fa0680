import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let version: string | undefined;

/**
 * herd-zk's version, from the package.json of the installed package (dist/
 * and the test build both sit below it); 'unknown' when none is found.
 * Read once.
 */
export function herdVersion(): string {
  if (version !== undefined) return version;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'herd-zk' && typeof pkg.version === 'string') return (version = pkg.version);
    } catch {
      // no package.json here: look one level up
    }
    const up = dirname(dir);
    if (up === dir) return (version = 'unknown');
    dir = up;
  }
}
