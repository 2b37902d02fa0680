/** The call-semantics tests' serving child (calls-child.ts) and a raw peer that speaks bytes to it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect as netConnect } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { splitAddress } from '../../src/rpc/connection.js';
import { HerdCodec } from '../../src/rpc/codec.js';
import { FrameReader } from '../../src/rpc/frames.js';
import type { Message } from '../../src/rpc/protocol.js';
import { sigkill } from '../support/processes.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'calls-child.js');

export interface CallsChild {
  readonly child: ChildProcess;
  readonly address: string;
  /** SIGKILLs the child and waits for it to exit. */
  kill(): Promise<void>;
}

/** Starts a child serving a Calls object as `name`; resolves once it is registered. */
export async function startCallsChild(connectionString: string, name: string): Promise<CallsChild> {
  const child = spawn(process.execPath, [CHILD, JSON.stringify({ connectionString, name })], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`calls child exited with ${code}: ${stderr}`)));
  });
  return {
    child,
    address: (JSON.parse(line) as { address: string }).address,
    kill: () => sigkill(child),
  };
}

const codec = new HerdCodec();

/** Writes `bytes` on a fresh socket to `address`; the messages that came back within `wait` ms, and whether the server closed it. */
export async function sendRaw(address: string, bytes: Buffer, wait: number): Promise<{ messages: Message[]; closed: boolean }> {
  const { host, port } = splitAddress(address);
  const socket = netConnect({ host, port });
  const reader = new FrameReader();
  const messages: Message[] = [];
  let closed = false;
  socket.on('data', (chunk: Buffer) => reader.push(chunk).forEach((p) => messages.push(codec.decode(p))));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => {
    socket.once('close', () => resolve(void (closed = true)));
    setTimeout(resolve, wait);
    socket.once('connect', () => socket.write(bytes));
  });
  socket.destroy();
  return { messages, closed };
}
