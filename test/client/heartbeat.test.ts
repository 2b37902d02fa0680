import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Heartbeat } from '../../src/client/heartbeat.js';
import { FakeClock } from '../support/fake-clock.js';

function setup(): { clock: FakeClock; hb: Heartbeat; pings: number[]; timeouts: number[] } {
  const clock = new FakeClock();
  const pings: number[] = [];
  const timeouts: number[] = [];
  const hb = new Heartbeat(
    {
      sendPing: () => pings.push(clock.now()),
      readTimedOut: () => timeouts.push(clock.now()),
    },
    clock,
  );
  return { clock, hb, pings, timeouts };
}

describe('Heartbeat', () => {
  it('pings at a third of the timeout when idle, and times out at two thirds without replies', () => {
    const { clock, hb, pings, timeouts } = setup();
    hb.start(3000);
    clock.advance(1999);
    assert.deepEqual(pings, [1000]);
    assert.deepEqual(timeouts, []);
    clock.advance(1);
    assert.deepEqual(timeouts, [2000]);
    clock.advance(10000);
    assert.equal(timeouts.length, 1, 'reports once, then stops');
    assert.equal(clock.pending, 0);
  });

  it('stays alive while replies arrive, and does not ping while requests are sent', () => {
    const { clock, hb, pings, timeouts } = setup();
    hb.start(3000);
    for (let t = 0; t < 10000; t += 500) {
      clock.advance(500);
      hb.sent();
      hb.received();
    }
    assert.deepEqual(pings, []);
    assert.deepEqual(timeouts, []);
    for (let t = 0; t < 10; t++) {
      clock.advance(1000);
      hb.received(); // the ping's reply
    }
    assert.equal(pings.length, 10);
    assert.deepEqual(timeouts, []);
  });

  it('start cancels the previous run; cancel and destroy stop the timer', () => {
    const { clock, hb, pings } = setup();
    hb.start(3000);
    hb.start(3000);
    assert.equal(clock.pending, 1);
    hb.cancel();
    assert.equal(clock.pending, 0);
    clock.advance(5000);
    assert.deepEqual(pings, []);
    hb.destroy();
    hb.start(3000);
    assert.equal(clock.pending, 0, 'a destroyed heartbeat cannot start');
  });
});
