import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff } from '../../src/client/backoff.js';
import { Chroot } from '../../src/client/chroot.js';
import { parseConnectionString, shuffle } from '../../src/client/connection-string.js';
import { invalidModeReason } from '../../src/client/create-mode.js';
import { HostList } from '../../src/client/host-list.js';
import { Queue } from '../../src/client/queue.js';
import { isLegalTransition, type ClientState } from '../../src/client/state.js';
import { retry } from '../../src/client/retry.js';
import {
  BadArgumentsError,
  ConnectionLossError,
  NoNodeError,
  OperationTimeoutError,
  RequestTimeoutError,
} from '../../src/errors.js';
import { FakeClock } from '../support/fake-clock.js';

describe('parseConnectionString', () => {
  it('parses hosts, ports and the default port', () => {
    assert.deepEqual(parseConnectionString('a:1,b,c:3'), {
      hosts: [
        { host: 'a', port: 1 },
        { host: 'b', port: 2181 },
        { host: 'c', port: 3 },
      ],
      chroot: undefined,
    });
  });
  it('parses a chroot, dropping a trailing slash; "/" alone is no chroot', () => {
    assert.equal(parseConnectionString('h:1/app/x').chroot, '/app/x');
    assert.equal(parseConnectionString('h:1/app/').chroot, '/app');
    assert.equal(parseConnectionString('h:1/').chroot, undefined);
  });
  it('parses bracketed IPv6 with and without port', () => {
    assert.deepEqual(parseConnectionString('[::1]:2182,[fe80::1]/r'), {
      hosts: [
        { host: '::1', port: 2182 },
        { host: 'fe80::1', port: 2181 },
      ],
      chroot: '/r',
    });
  });
  it('tolerates spaces and empty items', () => {
    assert.deepEqual(parseConnectionString(' a:1 , ,b:2').hosts.map((h) => h.host), ['a', 'b']);
  });
  it('rejects malformed strings with BadArgumentsError', () => {
    for (const bad of ['', '/chroot', 'a:x', 'a:0', 'a:70000', '[::1', '[::1]x', ':12', 'h:1/a//b']) {
      assert.throws(() => parseConnectionString(bad), BadArgumentsError, bad);
    }
  });
});

describe('shuffle and HostList', () => {
  it('shuffle is a permutation and does not modify its input', () => {
    const input = [1, 2, 3, 4, 5, 6];
    const out = shuffle(input);
    assert.deepEqual([...out].sort(), input);
    assert.deepEqual(input, [1, 2, 3, 4, 5, 6]);
  });
  it('HostList cycles round-robin', () => {
    const list = new HostList(
      [
        { host: 'a', port: 1 },
        { host: 'b', port: 2 },
      ],
      () => 0.999,
    );
    assert.deepEqual([list.next().host, list.next().host, list.next().host], ['a', 'b', 'a']);
  });
});

describe('Backoff', () => {
  it('tries every host quickly, then grows exponentially to the cap, and resets', () => {
    const b = new Backoff(3, { initialDelay: 100, maxDelay: 1000 }, () => 0.5);
    const delays = Array.from({ length: 12 }, () => b.next());
    assert.equal(delays[0], 0);
    assert.ok(delays[1]! < 10 && delays[2]! < 10);
    assert.ok(delays[3]! >= 50 && delays[3]! <= 100);
    assert.ok(delays[6]! >= 100 && delays[6]! <= 200);
    assert.ok(delays[11]! <= 1000);
    b.reset();
    assert.equal(b.next(), 0);
  });
});

describe('Chroot', () => {
  it('prepends and strips', () => {
    const c = new Chroot('/app');
    assert.equal(c.toServer('/'), '/app');
    assert.equal(c.toServer('/a/b'), '/app/a/b');
    assert.equal(c.toClient('/app'), '/');
    assert.equal(c.toClient('/app/a'), '/a');
    assert.equal(c.toClient('/apple'), '/apple');
    assert.equal(c.toClient('/other'), '/other');
    const none = new Chroot(undefined);
    assert.equal(none.toServer('/x'), '/x');
    assert.equal(none.toClient('/x'), '/x');
  });
});

describe('create mode and ttl', () => {
  it('requires a ttl exactly for the TTL modes', () => {
    assert.equal(invalidModeReason('persistent', undefined), undefined);
    assert.equal(invalidModeReason('persistentWithTTL', 1000), undefined);
    assert.notEqual(invalidModeReason('persistentWithTTL', undefined), undefined);
    assert.notEqual(invalidModeReason('persistentWithTTL', 0), undefined);
    assert.notEqual(invalidModeReason('persistentWithTTL', 2 ** 40), undefined);
    assert.notEqual(invalidModeReason('ephemeral', 1000), undefined);
    assert.notEqual(invalidModeReason('bogus', undefined), undefined);
  });
});

describe('state machine', () => {
  const states: ClientState[] = ['idle', 'connecting', 'connected', 'connectedReadOnly', 'disconnected', 'expired', 'authFailed', 'closed'];
  it('closed is terminal and reachable from every other state', () => {
    for (const s of states) {
      assert.equal(isLegalTransition('closed', s), false);
      if (s !== 'closed') assert.equal(isLegalTransition(s, 'closed'), true, s);
    }
  });
  it('resumes only from disconnected, starts sessions only from idle, expired or authFailed', () => {
    assert.equal(isLegalTransition('disconnected', 'connected'), true);
    assert.equal(isLegalTransition('connected', 'connected'), false);
    assert.equal(isLegalTransition('connected', 'connecting'), false);
    assert.equal(isLegalTransition('disconnected', 'connecting'), false);
    for (const s of states) assert.equal(isLegalTransition(s, 'connecting'), s === 'idle' || s === 'expired' || s === 'authFailed', s);
    assert.equal(isLegalTransition('expired', 'connected'), false);
  });
});

describe('Queue', () => {
  it('is FIFO across compactions', () => {
    const q = new Queue<number>();
    for (let i = 0; i < 5000; i++) q.push(i);
    for (let i = 0; i < 3000; i++) assert.equal(q.shift(), i);
    q.push(5000);
    assert.equal(q.length, 2001);
    assert.equal(q.peek(), 3000);
    assert.deepEqual(q.drain().slice(-2), [4999, 5000]);
    assert.equal(q.length, 0);
    assert.equal(q.shift(), undefined);
  });
});

describe('retry', () => {
  it('retries transient failures with backoff, and nothing else', async () => {
    let calls = 0;
    const value = await retry(
      async () => {
        if (++calls === 1) throw new ConnectionLossError();
        if (calls === 2) throw new RequestTimeoutError();
        if (calls === 3) throw new OperationTimeoutError();
        return 'done';
      },
      { baseDelay: 1 },
    );
    assert.equal(value, 'done');
    assert.equal(calls, 4);
    calls = 0;
    await assert.rejects(
      retry(async () => {
        calls++;
        throw new NoNodeError();
      }),
      NoNodeError,
    );
    assert.equal(calls, 1);
    calls = 0;
    await assert.rejects(
      retry(
        async () => {
          calls++;
          throw new ConnectionLossError();
        },
        { retries: 2, baseDelay: 1 },
      ),
      ConnectionLossError,
    );
    assert.equal(calls, 3);
  });

  it('waits on the injected clock, doubling up to maxDelay', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const result = retry(
      async () => {
        if (++calls <= 3) throw new ConnectionLossError();
        return calls;
      },
      { clock, baseDelay: 1000, maxDelay: 1500 },
    );
    const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
    await settle();
    assert.equal(calls, 1);
    assert.equal(clock.pending, 1, 'the first delay is on the injected clock');
    clock.advance(499);
    await settle();
    assert.equal(calls, 1, 'no retry before half the base delay');
    clock.advance(501);
    await settle();
    assert.equal(calls, 2);
    clock.advance(1500);
    await settle();
    assert.equal(calls, 3);
    clock.advance(1500);
    assert.equal(await result, 4, 'the delay is capped at maxDelay');
  });
});
