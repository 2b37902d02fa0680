/** Child processes that tests kill: the one way to SIGKILL one and know it is gone. */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** SIGKILLs `child` unless it has already exited; resolves once it has. */
export async function sigkill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}
