import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { abortReason, Deadline, sleep, throwIfAborted, timeoutError } from '../../src/base/wait.js';
import { CancelledError, HerdError, SessionLostError, TimeoutError } from '../../src/errors.js';
import { FakeClock } from '../support/fake-clock.js';

/** The wait contract's helpers (docs/conventions.md, section 3), on a clock driven by hand. */
describe('base/wait', () => {
  it('abortReason wraps a foreign reason in CancelledError and passes a HerdError through', () => {
    const plain = new AbortController();
    const why = new Error('user pressed stop');
    plain.abort(why);
    const cancelled = abortReason(plain.signal, 'lock.acquire');
    assert.ok(cancelled instanceof CancelledError);
    assert.equal(cancelled.code, 'CANCELLED');
    assert.equal(cancelled.cause, why);
    assert.match(cancelled.message, /^lock\.acquire: cancelled/);

    const lost = new AbortController();
    const sessionLost = new SessionLostError('session expired');
    lost.abort(sessionLost);
    assert.equal(abortReason(lost.signal), sessionLost);
  });

  it('throwIfAborted throws only for an aborted signal', () => {
    throwIfAborted(undefined);
    throwIfAborted(new AbortController().signal);
    assert.throws(() => throwIfAborted(AbortSignal.abort()), CancelledError);
  });

  it('timeoutError names the wait and the timeout', () => {
    const error = timeoutError('barrier.wait', 250);
    assert.ok(error instanceof TimeoutError && error instanceof HerdError);
    assert.equal(error.code, 'TIMEOUT');
    assert.equal(error.message, 'barrier.wait: timed out after 250 ms');
  });

  it('Deadline counts down on its clock and never goes negative', () => {
    const clock = new FakeClock();
    const none = new Deadline(clock, undefined);
    const deadline = new Deadline(clock, 100);
    assert.equal(none.remaining(), undefined);
    assert.equal(deadline.remaining(), 100);
    clock.advance(60);
    assert.equal(deadline.remaining(), 40);
    assert.equal(deadline.expired, false);
    clock.advance(40);
    assert.equal(deadline.expired, true);
    clock.advance(1_000);
    assert.equal(deadline.remaining(), 0);
    assert.equal(none.expired, false);
  });

  it('sleep resolves when its clock reaches the time, not before', async () => {
    const clock = new FakeClock();
    let done = false;
    const slept = sleep(clock, 50).then(() => (done = true));
    clock.advance(49);
    await Promise.resolve();
    assert.equal(done, false);
    clock.advance(1);
    await slept;
    assert.equal(done, true);
    assert.equal(clock.pending, 0);
  });

  it('sleep rejects on abort, before or during, and leaves no timer behind', async () => {
    const clock = new FakeClock();
    await assert.rejects(sleep(clock, 50, AbortSignal.abort()), CancelledError);
    const controller = new AbortController();
    const slept = sleep(clock, 50, controller.signal);
    assert.equal(clock.pending, 1);
    controller.abort(new SessionLostError('gone'));
    await assert.rejects(slept, SessionLostError);
    assert.equal(clock.pending, 0);
  });
});
