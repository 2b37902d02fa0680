/**
 * Standard Schema validation with a real schema library (zod 4), on both
 * targets: arguments failing a method's schema reject the call with a
 * ValidationError carrying the issues, and the method never runs; the
 * schema's output is what the method receives; a result failing its schema
 * is not sent; the connection and other callers keep working.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { BadArgumentsError, ValidationError, lookup, serve } from '../../src/rpc/index.js';
import { connect, forEachTarget } from '../support/targets.js';

class Accounts {
  runs = 0;
  open(owner: string, limit: number): { owner: string; limit: number } {
    this.runs++;
    return { owner, limit };
  }
  balance(owner: string): unknown {
    return owner === 'broken' ? { owner, cents: 'lots' } : { owner, cents: 100 };
  }
  untyped(x: unknown): unknown {
    return x;
  }
}
const EXPOSE = ['open', 'balance', 'untyped'];
const schemas = {
  open: { args: z.tuple([z.string().trim().min(1), z.number().int()]) },
  balance: { args: z.tuple([z.string()]), result: z.object({ owner: z.string(), cents: z.number() }) },
};

forEachTarget('rpc schemas', (target) => {
  test('arguments are validated before the method runs; results optionally', async () => {
    const name = `schemas-${process.pid}-${Date.now()}`;
    const object = new Accounts();
    await using served = await serve(await connect(target()), name, object, { expose: EXPOSE, schemas });
    await using remote = await lookup<Accounts>(await connect(target()), name, { callTimeout: 20000 });

    // The schema's output (the name trimmed) is what the method receives.
    assert.deepEqual(await remote.open('  ann ', 10), { owner: 'ann', limit: 10 });
    assert.equal(object.runs, 1);

    const error = await remote.open('', 1.5).then(
      () => assert.fail('invalid arguments were accepted'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ValidationError, String(error));
    assert.equal(error.code, 'VALIDATION');
    assert.deepEqual(error.issues.map((i) => i.path), [[0], [1]]);
    assert.match(error.message, /open: invalid arguments/);
    assert.equal(object.runs, 1, 'the method did not run');

    await assert.rejects((remote.open as (...a: unknown[]) => Promise<unknown>)('bob', 1, 'extra'), ValidationError);
    assert.deepEqual(await remote.balance('ann'), { owner: 'ann', cents: 100 });
    await assert.rejects(remote.balance('broken'), (e: unknown) => e instanceof ValidationError && /invalid result/.test(e.message) && e.issues[0]!.path![0] === 'cents');
    // The connection and the methods without schemas go on.
    assert.deepEqual(await remote.untyped({ any: ['thing'] }), { any: ['thing'] });
    assert.equal(object.runs, 1);
    void served;
  });

  test('schemas for a method not exposed, or that are not Standard Schemas, are refused at serve', async () => {
    const client = await connect(target());
    const name = `schemas-bad-${process.pid}-${Date.now()}`;
    await assert.rejects(serve(client, name, new Accounts(), { expose: EXPOSE, schemas: { hidden: { args: z.tuple([]) } } }), BadArgumentsError);
    await assert.rejects(serve(client, name, new Accounts(), { expose: EXPOSE, schemas: { open: { args: { parse() {} } as never } } }), BadArgumentsError);
  });
});
