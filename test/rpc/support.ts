/** Child serving processes for the rpc tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sigkill } from '../support/processes.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'serve-child.js');

export interface ServingChild {
  readonly process: ChildProcess;
  /** The service name it serves. */
  readonly name: string;
  readonly address: string;
  readonly pid: number;
  kill(): Promise<void>;
}

const children = new Set<ChildProcess>();

/** Starts a process serving a Demo as `name`; resolves once it is registered. */
export async function startServingChild(connectionString: string, name: string, label: string, tags?: Record<string, string>): Promise<ServingChild> {
  const child = spawn(process.execPath, [CHILD, JSON.stringify({ connectionString, name, label, tags })], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serving child did not start: ${stderr}`)), 20000);
    createInterface({ input: child.stdout! }).once('line', (l) => {
      clearTimeout(timer);
      resolve(l);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serving child exited with ${code}: ${stderr}`));
    });
  });
  const { address, pid } = JSON.parse(line) as { address: string; pid: number };
  return {
    process: child,
    name,
    address,
    pid,
    kill: async () => {
      await sigkill(child);
      children.delete(child);
    },
  };
}

/** SIGKILLs every child still running (for after hooks). */
export async function killChildren(): Promise<void> {
  await Promise.all([...children].map(sigkill));
  children.clear();
}
