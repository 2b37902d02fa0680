/**
 * The hosting tests' child processes (./hosting-worker.ts): start one,
 * send it commands, stop it; and a fresh chroot per test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, uniquePath, type Target } from '../support/targets.js';
import type { HostingWorkerConfig } from './hosting-worker.js';

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'hosting-worker.js');


/** A worker process; `call` sends a command and resolves with its answer. */
export interface Worker {
  readonly child: ChildProcess;
  call(command: Record<string, unknown>): Promise<{ ok: boolean; value?: unknown; code?: string; message?: string }>;
  /** The end of its stderr (warnings and events), for failure messages. */
  stderr(): string;
  /** Closes stdin (the worker closes its node) and waits for the exit. */
  stop(): Promise<void>;
}

export function startWorker(config: HostingWorkerConfig): Promise<Worker> {
  const child = spawn(process.execPath, [WORKER, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  child.stdin!.on('error', () => {});
  const waiting = new Map<number, (answer: never) => void>();
  let nextId = 0;
  let lines = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${config.identifier} did not open within 60 s: ${stderr}`)), 60_000);
    child.once('exit', (code) => reject(new Error(`${config.identifier} exited (${code}): ${lines}${stderr}`)));
    child.stdout!.on('data', (d: Buffer) => {
      lines += d.toString();
      for (let i = lines.indexOf('\n'); i >= 0; i = lines.indexOf('\n')) {
        const line = lines.slice(0, i);
        lines = lines.slice(i + 1);
        if (line === 'READY') {
          clearTimeout(timer);
          resolve({
            child,
            stderr: () => stderr,
            call: (command) =>
              new Promise((settle) => {
                const id = ++nextId;
                waiting.set(id, settle as (answer: never) => void);
                child.stdin!.write(`${JSON.stringify({ id, ...command })}\n`);
              }),
            stop: async () => {
              const exited = new Promise((done) => child.once('exit', done));
              child.stdin!.end();
              await exited;
            },
          });
        } else if (line.startsWith('FAILED ')) {
          clearTimeout(timer);
          reject(Object.assign(new Error(`${config.identifier} failed to open`), JSON.parse(line.slice(7)) as object));
        } else if (line.startsWith('R ')) {
          const { id, ...answer } = JSON.parse(line.slice(2)) as { id: number };
          waiting.get(id)?.(answer as never);
          waiting.delete(id);
        }
      }
    });
  });
}

export async function chroot(target: Target, name: string): Promise<string> {
  const root = uniquePath(name);
  await (await connect(target)).mkdirp(root);
  return `${target.connectionString}${root}`;
}
