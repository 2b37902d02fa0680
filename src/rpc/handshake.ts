/**
 * The start of a connection (protocol.ts: HELLO, AUTH; security.ts: the
 * shared-secret proofs): versions checked, and with a secret, the
 * challenge both ways, before anything the peer sends may run. Kept apart
 * from connection.ts, whose calls never pass through here once the
 * handshake is done.
 */
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { HerdError } from '../errors.js';
import { AuthenticationError, ProtocolError, RpcConnectionError } from './errors.js';
import { PROTOCOL_VERSION, type Message } from './protocol.js';
import { callerCertificate, nonce, proof, proofMatches, type CallerInfo } from './security.js';

/** How long each step of the handshake may take (connect, each HELLO or AUTH), in ms. */
export const HANDSHAKE_TIMEOUT = 10000;

/** What the handshake needs of its connection. */
export interface HandshakeLink {
  readonly address: string;
  /** `closed` fires once the connection fails, with why. */
  once(event: 'closed', listener: (error: HerdError) => void): unknown;
  off(event: 'closed', listener: (error: HerdError) => void): unknown;
  send(m: Message): void;
  /** Tells the peer why (CLOSE), then fails the connection. */
  protocolFailure(error: ProtocolError | AuthenticationError): void;
  /** Fails the connection (rejects whatever waits on it). */
  fail(error: HerdError): void;
  /** Runs a message the handshake held, past the handshake. */
  deliver(m: Message): void;
}

/** How a connection proves itself (security.ts). */
export interface HandshakeSecurity {
  /** The shared secret both sides must prove they know. */
  secret?: Buffer | undefined;
  /** Serving side: the caller is refused before its HELLO is read (its TLS client certificate failed verification), and told why. */
  refusal?: AuthenticationError | undefined;
}

type Hello = Message & { kind: 'hello' };

/**
 * One connection's handshake. Until {@link release}, every message the
 * connection reads goes to {@link intercept}: the one expected next is
 * taken, and anything that arrives after it (the same read can bring AUTH
 * and the first CALL) is held, so that nothing runs before the checks are
 * done.
 */
export class Handshake {
  /** The one kind of message expected next, and who takes it. */
  private step: { kind: 'hello' | 'auth'; take: (m: Message) => void } | undefined;
  private held: Message[] | undefined = [];
  /** The peer's identifier from its HELLO. */
  peerIdentifier = '';

  constructor(private readonly link: HandshakeLink) {}

  /** Takes or holds `m`; false once released (the message is the connection's). */
  intercept(m: Message): boolean {
    if (this.held) {
      this.held.push(m);
      return true;
    }
    const step = this.step;
    if (!step) return false;
    if (m.kind === 'close') {
      this.link.fail(closeError(m, this.link.address));
    } else if (m.kind !== step.kind) {
      this.link.protocolFailure(new ProtocolError(`expected ${step.kind.toUpperCase()} from ${this.link.address}, got ${m.kind.toUpperCase()}`));
    } else {
      step.take(m);
    }
    return true;
  }

  /**
   * Caller side, once the socket is connected: sends HELLO (with a
   * challenge when there is a secret), checks the server's HELLO and
   * proof, answers its challenge (AUTH). Rejects with ProtocolError
   * (another protocol version) or AuthenticationError (a wrong or missing
   * secret on either side).
   */
  async asCaller(identifier: string, secret: Buffer | undefined): Promise<void> {
    const { address } = this.link;
    const challenge = secret ? nonce() : undefined;
    this.link.send({ kind: 'hello', version: PROTOCOL_VERSION, identifier, nonce: challenge });
    const hello = await this.awaitHello();
    if (secret && challenge) {
      if (!hello.nonce || !hello.proof) {
        throw this.refuse(new AuthenticationError(`${address} knows no shared secret, and this caller requires one`));
      }
      if (!proofMatches(proof(secret, 'server', challenge, hello.nonce), hello.proof)) {
        throw this.refuse(new AuthenticationError(`${address} failed the shared-secret challenge: the secrets differ`));
      }
      this.link.send({ kind: 'auth', proof: proof(secret, 'client', hello.nonce, challenge) });
    }
  }

  /**
   * Serving side: waits for the caller's HELLO and answers it; with a
   * secret, the caller must answer the challenge. Resolves with who the
   * caller is; rejects as {@link asCaller} does.
   */
  async asServer(socket: Socket, identifier: string, security: HandshakeSecurity): Promise<CallerInfo> {
    const { address } = this.link;
    if (security.refusal) throw this.refuse(security.refusal);
    const hello = await this.awaitHello();
    const { secret } = security;
    if (!secret) {
      this.link.send({ kind: 'hello', version: PROTOCOL_VERSION, identifier });
    } else {
      if (!hello.nonce) throw this.refuse(new AuthenticationError(`caller ${address} (${hello.identifier}) sent no shared-secret challenge: this server requires one`));
      const challenge = nonce();
      this.link.send({ kind: 'hello', version: PROTOCOL_VERSION, identifier, nonce: challenge, proof: proof(secret, 'server', hello.nonce, challenge) });
      const auth = (await this.awaitStep('auth')) as Message & { kind: 'auth' };
      if (!proofMatches(proof(secret, 'client', challenge, hello.nonce), auth.proof)) {
        throw this.refuse(new AuthenticationError(`caller ${address} (${hello.identifier}) failed the shared-secret challenge`));
      }
    }
    return {
      identifier: hello.identifier,
      address,
      certificate: socket instanceof TLSSocket ? callerCertificate(socket) : undefined,
      secretVerified: secret !== undefined,
    };
  }

  /** The handshake is done: the held messages run, in order, and every later one goes straight to the connection. */
  release(): void {
    this.step = undefined;
    this.resume();
  }

  private async awaitHello(): Promise<Hello> {
    const m = (await this.awaitStep('hello')) as Hello;
    if (m.version !== PROTOCOL_VERSION) {
      throw this.refuse(new ProtocolError(`peer ${this.link.address} speaks protocol version ${m.version}, this process ${PROTOCOL_VERSION}`));
    }
    this.peerIdentifier = m.identifier;
    return m;
  }

  /** The next message, which must be of `kind`: anything else, a CLOSE or no message in time fails the connection. */
  private awaitStep(kind: 'hello' | 'auth'): Promise<Message> {
    const link = this.link;
    return new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => link.fail(new ProtocolError(`no ${kind.toUpperCase()} from ${link.address} within ${HANDSHAKE_TIMEOUT} ms`)), HANDSHAKE_TIMEOUT);
      const onClosed = (error: HerdError): void => {
        clearTimeout(timer);
        reject(error);
      };
      link.once('closed', onClosed);
      this.step = {
        kind,
        take: (m) => {
          clearTimeout(timer);
          link.off('closed', onClosed);
          this.step = undefined;
          this.held = [];
          resolve(m);
        },
      };
      this.resume();
    });
  }

  /** Lets the held messages through, in order, until a step takes one (then it holds the rest again). */
  private resume(): void {
    const queue = this.held;
    this.held = undefined;
    if (!queue) return;
    for (let i = 0; i < queue.length; i++) {
      this.link.deliver(queue[i]!);
      const again = this.held as Message[] | undefined;
      if (again) {
        again.push(...queue.slice(i + 1));
        return;
      }
    }
  }

  /** Tells the peer why the handshake failed (CLOSE), fails the connection; returns `error` to throw. */
  private refuse<E extends ProtocolError | AuthenticationError>(error: E): E {
    this.link.protocolFailure(error);
    return error;
  }
}

/**
 * Resolves once `socket` is connected (`secureConnect` over TLS); rejects
 * with what failed the connection, or fails it when nothing answers within
 * {@link HANDSHAKE_TIMEOUT} (a black-holed address would leave the connect
 * pending for minutes).
 */
export function awaitConnect(link: HandshakeLink, socket: Socket, tls: boolean): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => link.fail(new RpcConnectionError(`connect to ${link.address}: no answer within ${HANDSHAKE_TIMEOUT} ms`)), HANDSHAKE_TIMEOUT);
    const onError = (error: HerdError): void => {
      clearTimeout(timer);
      reject(error);
    };
    link.once('closed', onError);
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      link.off('closed', onError);
      resolve();
    });
  });
}

/** What a CLOSE frame means for this side. */
export function closeError(m: Message & { kind: 'close' }, address: string): HerdError {
  const what = `peer ${address} closed the connection: ${m.code}: ${m.message}`;
  return m.code === 'AUTHENTICATION' ? new AuthenticationError(what) : new ProtocolError(what);
}
