/**
 * Bare wire helpers for the hardening tests (limits, fuzz): build request
 * frames with the jute codecs and open sockets that do exactly what a test
 * says (bind a local address, never read), which neither the Herd client
 * nor RawSession offers.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { Ops } from '../../src/jute/ops/index.js';
import { JuteReader } from '../../src/jute/reader.js';
import { JuteWriter } from '../../src/jute/writer.js';
import { ConnectRequestCodec, ConnectResponseCodec, type ConnectResponse } from '../../src/jute/records/connect.js';
import { RequestHeaderCodec } from '../../src/jute/records/headers.js';

type OpTable = typeof Ops;
export type OpName = keyof OpTable;
export type RequestBody<N extends OpName> = Parameters<OpTable[N]['request']['write']>[1];

/** A ConnectRequest frame (length prefix included). */
export function connectFrame(timeout = 30_000, sessionId = 0n, passwd: Buffer = Buffer.alloc(16)): Buffer {
  const w = new JuteWriter();
  const at = w.beginFrame();
  ConnectRequestCodec.write(w, { protocolVersion: 0, lastZxidSeen: 0n, timeOut: timeout, sessionId, passwd });
  w.endFrame(at);
  return w.take();
}

/** A request frame: header + body written by the op's codec. */
export function requestFrame<N extends OpName>(xid: number, opName: N, body: RequestBody<N>): Buffer {
  const op = Ops[opName];
  const w = new JuteWriter();
  const at = w.beginFrame();
  RequestHeaderCodec.write(w, { xid, type: op.code });
  (op.request.write as (w: JuteWriter, v: unknown) => void)(w, body);
  w.endFrame(at);
  return w.take();
}

/** Connects (optionally from a given local address); resolves with the socket, or rejects when it closes first. */
export function openSocket(port: number, localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port, ...(localAddress ? { localAddress } : {}) });
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => {});
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/**
 * Connects and completes the ZooKeeper handshake; resolves with the socket
 * (paused, nothing read past the ConnectResponse) and the response, or
 * rejects when the server closes the connection instead.
 */
export async function handshake(port: number, options: { localAddress?: string; timeout?: number } = {}): Promise<{ socket: Socket; response: ConnectResponse }> {
  const socket = await openSocket(port, options.localAddress);
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => fail(new Error('handshake timed out')), 10_000);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 4 || buf.length < 4 + buf.readInt32BE(0)) return;
      const len = buf.readInt32BE(0);
      const response = ConnectResponseCodec.read(new JuteReader(buf.subarray(4, 4 + len)));
      cleanup();
      socket.pause();
      if (buf.length > 4 + len) socket.unshift(buf.subarray(4 + len));
      resolve({ socket, response });
    };
    const onClose = () => fail(new Error('connection closed by the server'));
    function cleanup(): void {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
    }
    function fail(err: Error): void {
      cleanup();
      socket.destroy();
      reject(err);
    }
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.write(connectFrame(options.timeout));
  });
}

/** Whether the server closes `socket` within `ms` (it was refused). */
export function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.off('close', onClose);
      resolve(false);
    }, ms);
    const onClose = () => {
      clearTimeout(timer);
      resolve(true);
    };
    socket.once('close', onClose);
    // A paused socket never notices the FIN: read (and drop) what comes.
    socket.resume();
  });
}

/** Resident set size of a process in bytes (Linux /proc). */
export async function rssOf(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}
