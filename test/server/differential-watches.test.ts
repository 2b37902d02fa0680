/**
 * Differential tests (watches and sessions): the same scripted scenarios against Herd's server
 * and a real ZooKeeper 3.8, fresh servers for each; see test/support/differential.ts.
 */
import { differentialSuite, digest, OPEN, Perm, type ACL, type Scenario } from '../support/differential.js';

const scenarios: Scenario[] = [
  {
    name: 'exists watch and NodeCreated',
    async run(r) {
      const a = await r.connect();
      const b = await r.connect();
      await a.op('exists', { path: '/w', watch: true });
      await b.op('exists', { path: '/w', watch: true });
      await b.create('/w', 0, 'x');
      await a.op('exists', { path: '/w', watch: true });
      await b.op('setData', { path: '/w', data: null, version: -1 });
      await a.op('exists', { path: '/w', watch: true });
      await b.op('delete', { path: '/w', version: -1 });
      await a.op('getData', { path: '/w', watch: true });
      await b.create('/w');
      await a.op('getChildren', { path: '/w', watch: true });
    },
  },
  {
    name: 'data and child watches: firing and order relative to the reply',
    async run(r) {
      const a = await r.connect();
      const b = await r.connect();
      await a.create('/n', 0, 'd');
      await a.op('getData', { path: '/n', watch: true });
      await a.op('getChildren', { path: '/n', watch: true });
      await b.op('getData', { path: '/n', watch: true });
      await b.op('getChildren2', { path: '/n', watch: true });
      // a's own write: the event comes before a's reply.
      await a.op('setData', { path: '/n', data: Buffer.from('e'), version: -1 });
      await a.create('/n/c1');
      await b.op('sync', { path: '/n' });
      await a.op('setData', { path: '/n', data: Buffer.from('f'), version: -1 });
      await b.op('getChildren', { path: '/n', watch: true });
      await a.op('getData', { path: '/n/c1', watch: true });
      await a.op('exists', { path: '/n/c1', watch: true });
      await a.op('getChildren', { path: '/n/c1', watch: true });
      await b.op('delete', { path: '/n/c1', version: -1 });
      await a.op('sync', { path: '/' });
      // node deleted with data and child watches set: one NodeDeleted per session
      await a.op('getData', { path: '/n', watch: true });
      await a.op('getChildren', { path: '/n', watch: true });
      await a.op('getData', { path: '/', watch: true });
      await a.op('getChildren', { path: '/', watch: true });
      await b.op('delete', { path: '/n', version: -1 });
      await a.op('sync', { path: '/' });
      // a failed write fires nothing
      await a.op('exists', { path: '/z', watch: true });
      await b.create('/nope/z');
      await b.op('setData', { path: '/z', data: null, version: -1 });
      await a.op('sync', { path: '/' });
      // setACL fires nothing
      await b.create('/acl');
      await a.op('getData', { path: '/acl', watch: true });
      await b.op('setACL', { path: '/acl', acl: OPEN, version: -1 });
      await a.op('sync', { path: '/' });
    },
  },
  {
    name: 'persistent and persistent-recursive watches',
    async run(r) {
      const a = await r.connect();
      const b = await r.connect();
      await a.op('addWatch', { path: '/p', mode: 0 });
      await a.op('addWatch', { path: '/r', mode: 1 });
      await b.create('/p', 0, 'x');
      await b.op('setData', { path: '/p', data: null, version: -1 });
      await b.create('/p/c');
      await b.op('setData', { path: '/p/c', data: null, version: -1 });
      await b.op('delete', { path: '/p/c', version: -1 });
      await b.create('/r');
      await b.create('/r/a');
      await b.create('/r/a/b');
      await b.op('setData', { path: '/r/a/b', data: Buffer.from('1'), version: -1 });
      await b.op('delete', { path: '/r/a/b', version: -1 });
      await b.create('/rx');
      await a.op('checkWatches', { path: '/p', type: 3 });
      await a.op('checkWatches', { path: '/r', type: 1 });
      await a.op('checkWatches', { path: '/r/a', type: 3 });
      await b.op('delete', { path: '/p', version: -1 });
      await a.op('sync', { path: '/' });
      await b.create('/p');
      await a.op('removeWatches', { path: '/p', type: 3 });
      await b.op('setData', { path: '/p', data: null, version: -1 });
      await a.op('removeWatches', { path: '/r', type: 2 });
      await a.op('removeWatches', { path: '/r', type: 1 });
      await a.op('removeWatches', { path: '/r', type: 3 });
      await b.op('setData', { path: '/r', data: null, version: -1 });
      await a.op('addWatch', { path: '/r', mode: 1 });
      await a.op('getData', { path: '/r', watch: true });
      await b.op('setData', { path: '/r', data: null, version: -1 });
      await a.op('sync', { path: '/' });
    },
  },
  {
    name: 'removeWatches and checkWatches',
    async run(r) {
      const a = await r.connect();
      const b = await r.connect();
      await a.create('/x');
      await a.op('checkWatches', { path: '/x', type: 2 });
      await a.op('removeWatches', { path: '/x', type: 3 });
      await a.op('checkWatches', { path: '/missing', type: 3 });
      await a.op('getData', { path: '/x', watch: true });
      await a.op('checkWatches', { path: '/x', type: 2 });
      await a.op('checkWatches', { path: '/x', type: 1 });
      await a.op('checkWatches', { path: '/x', type: 3 });
      await b.op('checkWatches', { path: '/x', type: 2 });
      await a.op('removeWatches', { path: '/x', type: 1 });
      await a.op('removeWatches', { path: '/x', type: 2 });
      await a.op('checkWatches', { path: '/x', type: 2 });
      await b.op('setData', { path: '/x', data: null, version: -1 });
      await a.op('getChildren', { path: '/x', watch: true });
      await a.op('exists', { path: '/x', watch: true });
      await a.op('removeWatches', { path: '/x', type: 3 });
      await a.op('checkWatches', { path: '/x', type: 3 });
      await b.create('/x/c');
      await a.op('exists', { path: '/y', watch: true });
      await a.op('checkWatches', { path: '/y', type: 2 });
      await a.op('removeWatches', { path: '/y', type: 2 });
      await b.create('/y');
      await a.op('sync', { path: '/' });
    },
  },
  {
    name: 'setWatches2 replay after reconnect',
    async run(r) {
      const a = await r.connect();
      const b = await r.connect();
      for (const p of ['/d1', '/d2', '/d3', '/c1', '/c2', '/c3', '/pw', '/rw']) await a.create(p);
      const last = await a.op('getData', { path: '/d1', watch: true });
      const rel = last.header.zxid;
      const sessionId = a.sessionId;
      const passwd = a.raw.passwd;
      a.drop();
      await b.op('setData', { path: '/d1', data: Buffer.from('x'), version: -1 });
      await b.op('delete', { path: '/d2', version: -1 });
      await b.create('/e1');
      await b.create('/c1/x');
      await b.op('delete', { path: '/c2', version: -1 });
      await b.create('/pw/x');
      await b.create('/rw/x');
      const a2 = await r.connect({ sessionId, passwd, lastZxidSeen: rel });
      await a2.op('setWatches2', {
        relativeZxid: rel,
        dataWatches: ['/d1', '/d2', '/d3'],
        existWatches: ['/e1', '/e2'],
        childWatches: ['/c1', '/c2', '/c3'],
        persistentWatches: ['/pw'],
        persistentRecursiveWatches: ['/rw'],
      });
      await a2.op('checkWatches', { path: '/d3', type: 2 });
      await a2.op('checkWatches', { path: '/d1', type: 2 });
      await a2.op('checkWatches', { path: '/e2', type: 2 });
      await a2.op('checkWatches', { path: '/c3', type: 1 });
      await a2.op('checkWatches', { path: '/pw', type: 3 });
      await b.op('setData', { path: '/d3', data: null, version: -1 });
      await b.create('/e2');
      await b.create('/c3/x');
      await b.op('setData', { path: '/pw', data: null, version: -1 });
      await b.create('/rw/x/y');
      await a2.op('sync', { path: '/' });
      // setWatches (v1) too
      await a2.op('getData', { path: '/d3', watch: false });
      const rel2 = (await a2.op('exists', { path: '/', watch: false })).header.zxid;
      await a2.op('setWatches', { relativeZxid: rel2, dataWatches: ['/d3'], existWatches: ['/nothere'], childWatches: ['/'] });
      await b.create('/nothere');
      await a2.op('setWatches', { relativeZxid: 0n, dataWatches: ['/d3'], existWatches: [], childWatches: [] });
      await a2.op('sync', { path: '/' });
    },
  },
  {
    name: 'watch events filtered by ACL',
    async run(r) {
      const a = await r.connect();
      const b = await r.connect();
      await a.auth('alice:secret');
      const mine: ACL[] = [{ perms: Perm.all, id: { scheme: 'digest', id: digest('alice:secret') } }];
      await b.op('addWatch', { path: '/', mode: 1 });
      await a.create('/prot', 0, 'x', mine);
      await b.op('sync', { path: '/' }, { allow: 'events-filtered-by-acl' });
      await a.op('setData', { path: '/prot', data: null, version: -1 });
      await b.op('sync', { path: '/' }, { allow: 'events-filtered-by-acl' });
      await a.create('/open');
      await b.op('sync', { path: '/' });
      await a.create('/kids');
      await b.op('getChildren', { path: '/kids', watch: true });
      await b.op('getData', { path: '/kids', watch: true });
      await a.op('setACL', { path: '/kids', acl: mine, version: -1 });
      await b.op('sync', { path: '/' });
      await a.create('/kids/c');
      await b.op('sync', { path: '/' }, { allow: 'events-filtered-by-acl' });
      await a.op('setData', { path: '/kids', data: null, version: -1 });
      await b.op('sync', { path: '/' }, { allow: 'events-filtered-by-acl' });
      await b.op('getData', { path: '/prot', watch: true });
      await b.op('exists', { path: '/prot', watch: true }, { allow: 'exists-needs-read' });
      await b.op('removeWatches', { path: '/', type: 3 });
      await a.op('delete', { path: '/prot', version: -1 });
      await b.op('sync', { path: '/' }, { allow: 'events-filtered-by-acl' });
    },
  },
  {
    name: 'closeSession removes ephemerals and notifies watchers',
    async run(r) {
      const a = await r.connect();
      const b = await r.connect();
      await a.create('/parent');
      await a.create('/parent/e', 1);
      await a.create('/top', 3);
      await b.op('exists', { path: '/parent/e', watch: true });
      await b.op('getChildren', { path: '/parent', watch: true });
      await b.op('getData', { path: '/top0000000001', watch: true });
      await a.op('closeSession', {});
      await a.closedWithin();
      await b.op('sync', { path: '/' });
      await b.op('getChildren2', { path: '/parent', watch: false });
      await b.op('exists', { path: '/top0000000001', watch: false });
      // reconnecting to the closed session is refused
      await r.connect({ sessionId: a.sessionId, passwd: a.raw.passwd });
      await r.sessions[r.sessions.length - 1]!.closedWithin();
    },
  },
  {
    name: 'handshake: readOnly byte, timeouts, reconnect with the wrong password',
    async run(r) {
      const a = await r.connect({ readOnly: false });
      await r.connect({ readOnly: undefined, timeout: 1000 });
      await r.connect({ readOnly: true, timeout: 100000 });
      await a.create('/x', 1);
      const bad = Buffer.from(a.raw.passwd);
      bad[0] = bad[0]! ^ 0xff;
      const wrong = await r.connect({ sessionId: a.sessionId, passwd: bad });
      await wrong.closedWithin();
      const unknown = await r.connect({ sessionId: 0x1234567n, passwd: Buffer.alloc(16) });
      await unknown.closedWithin();
      await a.op('exists', { path: '/x', watch: false });
      const again = await r.connect({ sessionId: a.sessionId, passwd: a.raw.passwd, readOnly: false });
      await a.closedWithin();
      await again.op('exists', { path: '/x', watch: false });
      await again.op('getEphemerals', { prefixPath: '/' });
      // a client that has seen a newer zxid than the server's is refused (no ConnectResponse)
      await r.tryConnect({ lastZxidSeen: 1_000_000n });
      await r.tryConnect({ timeout: 0 });
      await r.tryConnect({ timeout: -5 });
      // large data round trip
      const big = 'x'.repeat(500_000);
      await again.op('setData', { path: '/x', data: Buffer.from(big), version: -1 });
      const read = await again.raw.send('getData', { path: '/x', watch: false });
      r.note(5, 'big data intact', read.body?.data?.toString() === big);
    },
  },
  {
    name: 'unknown opcode: Unimplemented then close',
    async run(r) {
      const a = await r.connect();
      const b = await r.connect();
      await a.create('/u', 1);
      await a.type(999);
      await a.closedWithin();
      await b.op('exists', { path: '/u', watch: false });
      const d = await r.connect();
      await d.type(0);
      await d.closedWithin();
    },
  },
  {
    name: 'session expiry removes ephemerals and notifies watchers',
    async run(r) {
      const a = await r.connect({ timeout: 4000 });
      const b = await r.connect();
      await a.create('/eph', 1);
      await a.create('/eph-seq-', 3);
      await b.op('exists', { path: '/eph', watch: true });
      await b.op('getChildren', { path: '/', watch: true });
      a.drop();
      // the session expires after its 4 s timeout (ZooKeeper checks every tick, 2 s)
      const first = await b.raw.nextEvent(12000);
      r.note(1, 'an event arrived', first !== null);
      await b.raw.nextEvent(500);
      await b.op('sync', { path: '/' });
      await b.op('getChildren', { path: '/', watch: false });
      const back = await r.tryConnect({ sessionId: a.sessionId, passwd: a.raw.passwd });
      if (back) await back.closedWithin();
    },
  },
  {
    name: 'closeSession deletes ephemerals (and notifies) in ZooKeeper order',
    async run(r) {
      const a = await r.connect();
      const b = await r.connect();
      const c = await r.connect();
      await b.op('addWatch', { path: '/', mode: 1 });
      await a.create('/p');
      for (const name of ['zeta', 'alpha', 'm', 'b/', 'x-', 'lock-', 'n1', 'n10', 'n2', 'Q', 'é']) {
        const seq = name.endsWith('/') || name.endsWith('-');
        await a.create(`/p/${name.replace('/', '')}`, seq ? 3 : 1);
      }
      await a.create('/top', 1);
      await a.op('closeSession', {});
      await a.closedWithin();
      await b.op('sync', { path: '/' });
      // more than 12 ephemerals: the session's set has grown past its first table
      for (let i = 0; i < 20; i++) await c.create(`/q${i}`, i % 2 ? 1 : 3);
      for (let i = 0; i < 20; i += 3) await c.op('delete', { path: `/q${i}${i % 2 ? '' : String(i).padStart(10, '0')}`, version: -1 });
      await c.op('closeSession', {});
      await c.closedWithin();
      await b.op('sync', { path: '/' });
    },
  },
];

differentialSuite('watches and sessions', scenarios);
