/** Child processes serving a Probe (singleton-child.ts), with their role changes as they print them. */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sigkill } from '../support/processes.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'singleton-child.js');

export interface ProbeChild {
  readonly pid: number;
  readonly label: string;
  /** The role it printed last: 'serving' or 'standby'. */
  readonly state: string;
  /** Resolves when it prints `event` (at once when that is its state), rejects after `ms`. */
  reaches(event: 'serving' | 'standby', ms?: number): Promise<void>;
  kill(): Promise<void>;
}

const children = new Set<ChildProcess>();

export interface ProbeOptions {
  singleton?: boolean;
  idempotent?: string[];
}

/** Starts a process serving a Probe as `name`; resolves once it knows its role. */
export async function startProbe(connectionString: string, name: string, label: string, options: ProbeOptions = {}): Promise<ProbeChild> {
  const child = spawn(process.execPath, [CHILD, JSON.stringify({ connectionString, name, label, ...options })], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let state = '';
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    state = (JSON.parse(line) as { event: string }).event;
    for (const w of [...waiters]) w();
  });
  const reaches = (event: string, ms = 30000): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (state !== event) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`${label} did not become ${event} within ${ms} ms (state ${state || 'none'}): ${stderr}`));
      }, ms);
      waiters.add(check);
      check();
    });
  await new Promise<void>((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`probe ${label} exited with ${code}: ${stderr}`));
    child.once('exit', onExit);
    const check = (): void => {
      if (state === '') return;
      waiters.delete(check);
      child.off('exit', onExit);
      resolve();
    };
    waiters.add(check);
  });
  return {
    pid: child.pid!,
    label,
    get state() {
      return state;
    },
    reaches,
    kill: async () => {
      await sigkill(child);
      children.delete(child);
    },
  };
}

/** SIGKILLs every probe still running (for after hooks). */
export async function killProbes(): Promise<void> {
  await Promise.all([...children].map(sigkill));
  children.clear();
}
