import { it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Party, ShallowParty } from '../../src/recipes/index.js';
import { connect, forEachTarget, loseNextCreate, uniquePath, waitFor } from './harness.js';

forEachTarget('Party', (target) => {
  it('lists members with Kazoo node names, emits changes, leaves', async () => {
    const [a, b] = [await connect(target()), await connect(target())];
    const path = uniquePath('party');
    const pa = new Party(a, path, { identifier: 'alpha' });
    const pb = new Party(b, path, { identifier: 'beta' });
    await pa.join();
    await pa.join(); // idempotent
    const changes: string[][] = [];
    pa.on('changed', (m) => changes.push([...m].sort()));
    assert.deepEqual(await pa.watch(), ['alpha']);
    await pb.join();
    await waitFor(() => changes.some((c) => c.length === 2));
    assert.deepEqual((await pb.members()).sort(), ['alpha', 'beta']);
    assert.equal(await pa.size(), 2);
    for (const c of await a.getChildren(path)) assert.match(c, /^[0-9a-f]{32}__party__$/);
    assert.equal(await pb.leave(), true);
    await waitFor(() => changes.at(-1)?.length === 1);
    assert.deepEqual(await pa.members(), ['alpha']);
    pa.unwatch();
    await pa.leave();
    // close: unwatch and leave, idempotent, also as asyncDispose.
    await pb.join();
    await pb[Symbol.asyncDispose]();
    assert.equal(pb.isParticipating, false);
    await pb.close();
    assert.deepEqual(await a.getChildren(path), []);
  });

  it('joins once after a connection loss during the create', async () => {
    const a = await connect(target());
    const path = uniquePath('party-loss');
    const faulty = loseNextCreate(a, target(), 'applied');
    const p = new Party(faulty.client, path, { identifier: 'me' });
    // ensurePath's creates come first: arm the fault after the parent exists.
    await a.create(path);
    await p.join();
    assert.deepEqual(await p.members(), ['me']);
    assert.equal((await a.getChildren(path)).length, 1);
  });

  it('reports the loss on session expiry and rejoins on the next session', async () => {
    const [a, b] = [await connect(target()), await connect(target())];
    const path = uniquePath('party-expire');
    const p = new Party(a, path, { identifier: 'me' });
    await p.join();
    const lost = once(p, 'lost');
    await target().expire(a);
    const [reason] = (await lost) as [Error];
    assert.equal(reason.name, 'SessionLostError');
    const watcher = new Party(b, path);
    await waitFor(async () => (await watcher.size()) === 0);
    await a.connect();
    await waitFor(async () => (await watcher.members()).includes('me'), 10000, 'the rejoin');
    await p.leave();
  });
});

forEachTarget('ShallowParty', (target) => {
  it('keeps identifiers in node names', async () => {
    const [a, b] = [await connect(target()), await connect(target())];
    const path = uniquePath('shallow');
    const pa = new ShallowParty(a, path, { identifier: 'host-a' });
    const pb = new ShallowParty(b, path, { identifier: 'host-b' });
    await pa.join();
    await pb.join();
    assert.deepEqual((await pa.members()).sort(), ['host-a', 'host-b']);
    for (const c of await a.getChildren(path)) assert.match(c, /^[0-9a-f]{32}-host-[ab]$/);
    await pa.leave();
    assert.deepEqual(await pb.members(), ['host-b']);
  });
});
