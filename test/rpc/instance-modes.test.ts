/**
 * Instance modes (Pyro's): `single` (one object for every caller),
 * `session` (one per caller connection), `call` (a fresh one per call),
 * each caller connection a real socket of its own.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Connection } from '../../src/rpc/connection.js';
import { BadArgumentsError, lookup, serve, type Served } from '../../src/rpc/index.js';
import { connect, forEachTarget } from '../support/targets.js';

let made = 0;
class Tally {
  readonly serial = ++made;
  private n = 0;
  bump(): { serial: number; n: number } {
    return { serial: this.serial, n: ++this.n };
  }
}

forEachTarget('rpc instance modes', (target) => {
  const open: (Served | Connection)[] = [];
  after(async () => {
    await Promise.all(open.map((o) => o.close()));
  });
  const bumpOn = async (conn: Connection, name: string): Promise<{ serial: number; n: number }> =>
    (await conn.call(name, 'bump', [], { timeout: 10000 })) as { serial: number; n: number };

  async function twoCallers(mode: 'single' | 'session' | 'call'): Promise<{ name: string; first: Connection; second: Connection }> {
    const name = `modes-${mode}-${process.pid}-${Date.now()}`;
    const served = await serve(await connect(target()), name, () => new Tally(), { expose: ['bump'], instanceMode: mode });
    const first = await Connection.open(served.address, 'first');
    const second = await Connection.open(served.address, 'second');
    open.push(served, first, second);
    return { name, first, second };
  }

  test('single: every caller shares one object', async () => {
    const { name, first, second } = await twoCallers('single');
    const a = await bumpOn(first, name);
    const b = await bumpOn(second, name);
    assert.equal(a.serial, b.serial);
    assert.deepEqual([a.n, b.n], [1, 2]);
    // An object (not a factory) is 'single' by default, as before.
    const plain = new Tally();
    const served = await serve(await connect(target()), `${name}-obj`, plain, { expose: ['bump'] });
    open.push(served);
    await using remote = await lookup<Tally>(await connect(target()), `${name}-obj`);
    assert.deepEqual(await remote.bump(), { serial: plain.serial, n: 1 });
  });

  test('session: one object per caller connection, kept across its calls', async () => {
    const { name, first, second } = await twoCallers('session');
    const a1 = await bumpOn(first, name);
    const a2 = await bumpOn(first, name);
    const b1 = await bumpOn(second, name);
    assert.equal(a1.serial, a2.serial);
    assert.deepEqual([a1.n, a2.n], [1, 2]);
    assert.notEqual(b1.serial, a1.serial);
    assert.equal(b1.n, 1);
  });

  test('call: a fresh object for every call', async () => {
    const { name, first } = await twoCallers('call');
    const a = await bumpOn(first, name);
    const b = await bumpOn(first, name);
    assert.notEqual(a.serial, b.serial);
    assert.deepEqual([a.n, b.n], [1, 1]);
  });

  test('serve refuses an instance mode it does not know, and session/call without a factory', async () => {
    const client = await connect(target());
    const options = { expose: ['bump'] } as const;
    await assert.rejects(serve(client, 'm1', new Tally(), { ...options, instanceMode: 'session' }), BadArgumentsError);
    await assert.rejects(serve(client, 'm2', new Tally(), { ...options, instanceMode: 'call' }), BadArgumentsError);
    await assert.rejects(serve(client, 'm3', () => new Tally(), { ...options, instanceMode: 'pooled' as 'call' }), BadArgumentsError);
    await assert.rejects(serve(client, 'm4', () => new Tally(), { expose: ['_secret'], instanceMode: 'call' }), BadArgumentsError);
  });
});
