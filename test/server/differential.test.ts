/**
 * Differential tests (data operations, paths, ACLs): the same scripted scenarios against Herd's server
 * and a real ZooKeeper 3.8, fresh servers for each; see test/support/differential.ts.
 */
import { differentialSuite, digest, OPEN, Perm, type Scenario } from '../support/differential.js';

const scenarios: Scenario[] = [
  {
    name: 'create modes',
    extendedTypes: true,
    async run(r) {
      const a = await r.connect();
      await a.create2('/p', 0, 'pdata');
      await a.create2('/e', 1, 'edata');
      await a.create2('/ps-', 2);
      await a.create2('/es-', 3);
      await a.op('createContainer', { path: '/c', data: Buffer.from('c'), acl: OPEN, flags: 4 });
      await a.op('createTTL', { path: '/t', data: Buffer.from('t'), acl: OPEN, flags: 5, ttl: 10000 });
      await a.op('createTTL', { path: '/ts-', data: null, acl: OPEN, flags: 6, ttl: 5000 });
      await a.op('create', { path: '/t2', data: null, acl: OPEN, flags: 5 });
      await a.op('getChildren2', { path: '/', watch: false });
      for (const p of ['/p', '/e', '/ps-0000000002', '/es-0000000003', '/c', '/t', '/ts-0000000006']) await a.op('getData', { path: p, watch: false });
    },
  },
  {
    name: 'create TTL with bad ttl and bad flags',
    extendedTypes: true,
    async run(r) {
      const a = await r.connect();
      await a.op('createTTL', { path: '/t0', data: null, acl: OPEN, flags: 5, ttl: 0 });
      await a.op('createTTL', { path: '/t1', data: null, acl: OPEN, flags: 5, ttl: -5 });
      await a.op('createTTL', { path: '/t2', data: null, acl: OPEN, flags: 6, ttl: 2 ** 40 });
      await a.op('createTTL', { path: '/t3', data: null, acl: OPEN, flags: 5, ttl: 2 ** 40 - 1 });
      // A non-TTL mode with a positive ttl (a negative one would kill ZooKeeper 3.8.0).
      await a.op('createTTL', { path: '/t4', data: null, acl: OPEN, flags: 0, ttl: 1000 });
      await a.create('/f7', 7);
      await a.create('/fneg', -1);
      await a.op('getChildren', { path: '/', watch: false });
    },
  },
  {
    name: 'create TTL with extended types off',
    extendedTypes: false,
    async run(r) {
      const a = await r.connect();
      await a.op('createTTL', { path: '/t', data: null, acl: OPEN, flags: 5, ttl: 1000 });
      await a.op('createTTL', { path: '/ts', data: null, acl: OPEN, flags: 6, ttl: 1000 });
      await a.create('/x', 5);
      await a.create('/y');
    },
  },
  {
    name: 'sequential naming after deletes',
    async run(r) {
      const a = await r.connect();
      await a.create('/q');
      await a.create('/q/n-', 2);
      await a.create('/q/n-', 2);
      await a.op('delete', { path: '/q/n-0000000000', version: -1 });
      await a.create('/q/n-', 2);
      await a.create('/q/x');
      await a.op('delete', { path: '/q/x', version: -1 });
      await a.create('/q/n-', 3);
      await a.create('/q/', 2);
      await a.create('/q/', 0);
      await a.create('/q/', 1);
      await a.op('exists', { path: '/q', watch: false });
      await a.op('getChildren2', { path: '/q', watch: false });
      await a.create2('/q/m-', 2);
    },
  },
  {
    name: 'create errors: NodeExists, NoNode parent, NoChildrenForEphemerals',
    async run(r) {
      const a = await r.connect();
      await a.create('/a');
      await a.create('/a');
      await a.create('/nope/child');
      await a.create('/eph', 1);
      await a.create('/eph/child');
      await a.create('/eph/seq', 3);
      await a.create('/eph/seq', 2);
      await a.op('createContainer', { path: '/eph/c', data: null, acl: OPEN, flags: 4 });
      await a.create('/a', 0, '', []);
      await a.create('/b', 0, '', [{ perms: 31, id: { scheme: 'auth', id: '' } }]);
      await a.create('/b', 0, '', [{ perms: 31, id: { scheme: 'digest', id: 'nocolon' } }]);
      await a.create('/b', 0, '', [{ perms: 31, id: { scheme: 'bogus', id: 'x' } }]);
      await a.create('/b');
      await a.op('exists', { path: '/eph', watch: false });
      await a.op('exists', { path: '/', watch: false });
    },
  },
  {
    name: 'invalid paths',
    async run(r) {
      const a = await r.connect();
      await a.create('/a');
      const bad = ['', 'a', '/a/', '//a', '/a//b', '/.', '/..', '/a/.', '/a/..', '/a/./b', '/a\0b', '/a\u0001', '/a\u001f', '/a\u007f', '/a\u0090', '/a\uf000', '/a\ufff0', '/a/.b', '/a/..b', '/a/b.'];
      for (const p of bad) {
        await a.create(p);
        await a.op('setData', { path: p, data: null, version: -1 });
        await a.op('getData', { path: p, watch: false });
        await a.op('exists', { path: p, watch: false });
        await a.op('getChildren', { path: p, watch: false });
        await a.op('delete', { path: p, version: -1 });
      }
      await a.op('getChildren', { path: '/a', watch: false });
    },
  },
  {
    name: 'delete',
    async run(r) {
      const a = await r.connect();
      await a.create('/d');
      await a.create('/d/c');
      await a.op('delete', { path: '/d', version: -1 });
      await a.op('delete', { path: '/d/c', version: 5 });
      await a.op('delete', { path: '/d/missing', version: -1 });
      await a.op('delete', { path: '/missing/x', version: -1 });
      await a.op('delete', { path: '/d//c', version: -1 });
      await a.op('delete', { path: '/', version: -1 });
      await a.op('delete', { path: '/zookeeper', version: -1 });
      await a.op('delete', { path: '/zookeeper/config', version: -1 });
      await a.op('delete', { path: '/zookeeper/quota', version: -1 });
      await a.op('delete', { path: 'd', version: -1 });
      await a.op('delete', { path: '/d/c', version: 0 });
      await a.op('delete', { path: '/d', version: 0 });
      await a.op('exists', { path: '/d', watch: false });
      await a.op('getChildren2', { path: '/', watch: false });
    },
  },
  {
    name: 'setData versions',
    async run(r) {
      const a = await r.connect();
      await a.create('/s', 0, 'v0');
      await a.op('setData', { path: '/s', data: Buffer.from('v1'), version: 0 });
      await a.op('setData', { path: '/s', data: Buffer.from('v2'), version: 0 });
      await a.op('setData', { path: '/s', data: Buffer.from('v2'), version: -1 });
      await a.op('setData', { path: '/s', data: null, version: 2 });
      await a.op('setData', { path: '/s', data: Buffer.from('x'), version: -2 });
      await a.op('setData', { path: '/missing', data: null, version: -1 });
      await a.op('getData', { path: '/s', watch: false });
      await a.op('setData', { path: '/', data: Buffer.from('root'), version: -1 });
      await a.op('getData', { path: '/', watch: false });
    },
  },
  {
    name: 'ACLs and digest auth',
    async run(r) {
      const a = await r.connect();
      const b = await r.connect();
      await a.auth('alice:secret');
      await a.op('whoAmI', {});
      await a.create('/secret', 0, 'hidden', [{ perms: Perm.all, id: { scheme: 'digest', id: digest('alice:secret') } }]);
      await a.create('/shared', 0, 'visible', [
        { perms: Perm.all, id: { scheme: 'auth', id: '' } },
        { perms: Perm.r, id: { scheme: 'world', id: 'anyone' } },
      ]);
      await a.create('/secret/child');
      await a.op('getACL', { path: '/secret' });
      await a.op('getACL', { path: '/shared' });
      // b is not authenticated.
      await b.op('getData', { path: '/secret', watch: false });
      await b.op('getChildren', { path: '/secret', watch: false });
      await b.op('setData', { path: '/secret', data: null, version: -1 });
      await b.op('delete', { path: '/secret/child', version: -1 });
      await b.create('/secret/other');
      await b.op('getACL', { path: '/secret' });
      await b.op('getACL', { path: '/shared' });
      await b.op('getData', { path: '/shared', watch: false });
      await b.op('setData', { path: '/shared', data: null, version: -1 });
      await b.op('setACL', { path: '/shared', acl: OPEN, version: -1 });
      await b.op('exists', { path: '/shared', watch: false });
      await b.op('exists', { path: '/secret', watch: false }, { allow: 'exists-needs-read' });
      await b.op('getAllChildrenNumber', { path: '/secret' });
      await b.auth('alice:wrong');
      await b.op('getData', { path: '/secret', watch: false });
      await b.op('whoAmI', {});
      await b.auth('alice:secret');
      await b.op('getData', { path: '/secret', watch: false });
      await b.op('getACL', { path: '/shared' });
      await b.op('whoAmI', {});
      // setACL: version, InvalidACL, NoAuth after losing ADMIN.
      await a.op('setACL', { path: '/shared', acl: OPEN, version: 5 });
      await a.op('setACL', { path: '/shared', acl: [], version: -1 });
      await a.op('setACL', { path: '/shared', acl: [{ perms: Perm.r, id: { scheme: 'world', id: 'anyone' } }], version: 0 });
      await a.op('setACL', { path: '/shared', acl: OPEN, version: -1 });
      await a.op('getACL', { path: '/shared' });
      await a.op('setACL', { path: '/missing', acl: OPEN, version: -1 });
      await a.op('exists', { path: '/shared', watch: false });
      // CREATE on the parent, DELETE on the parent.
      await a.create('/nocreate', 0, '', [{ perms: Perm.r | Perm.d, id: { scheme: 'world', id: 'anyone' } }]);
      await a.create('/nocreate/x');
      await a.create('/nodelete', 0, '', [{ perms: Perm.r | Perm.c, id: { scheme: 'world', id: 'anyone' } }]);
      await a.create('/nodelete/x');
      await a.op('delete', { path: '/nodelete/x', version: -1 });
      await a.op('delete', { path: '/nodelete/missing', version: -1 });
      await a.op('delete', { path: '/nodelete', version: -1 });
      await b.create('/b-auth', 0, '', [{ perms: Perm.all, id: { scheme: 'auth', id: '' } }]);
      await b.op('getACL', { path: '/b-auth' });
    },
  },
  {
    name: 'auth failure closes the connection',
    async run(r) {
      const a = await r.connect();
      await a.auth('x', 'nosuchscheme');
      await a.closedWithin();
      const b = await r.connect();
      await b.auth('nocolon', 'digest');
      await b.closedWithin(1000);
      await b.op('exists', { path: '/', watch: false });
    },
  },
  {
    name: 'ACL ids and schemes',
    async run(r) {
      const a = await r.connect();
      const ids: Array<[string, string]> = [
        ['world', 'anyone'],
        ['world', 'bob'],
        ['ip', '127.0.0.1'],
        ['ip', '127.0.0.0/8'],
        ['ip', '10.0.0.1'],
        ['ip', '999.1.1.1'],
        ['ip', '127.0.0.1/33'],
        ['ip', 'not-an-ip'],
        ['digest', 'user:hash'],
        ['digest', 'nocolon'],
        ['auth', ''],
        ['auth', 'someone'],
        ['super', 'x'],
        ['sasl', 'x'],
        ['x509', 'CN=x'],
        ['nosuch', 'x'],
      ];
      let i = 0;
      for (const [scheme, id] of ids) {
        const path = `/acl${i++}`;
        await a.create(path, 0, 'd', [{ perms: Perm.all, id: { scheme, id } }]);
        await a.op('getData', { path, watch: false });
        await a.op('getACL', { path });
        await a.op('setACL', { path: '/', acl: [{ perms: Perm.all, id: { scheme, id } }], version: -1 });
      }
      await a.op('setACL', { path: '/', acl: OPEN, version: -1 });
      await a.create('/perms0', 0, '', [{ perms: 0, id: { scheme: 'world', id: 'anyone' } }]);
      await a.op('getData', { path: '/perms0', watch: false });
      await a.op('getACL', { path: '/perms0' });
      await a.create('/perms-big', 0, '', [{ perms: 0xff, id: { scheme: 'world', id: 'anyone' } }]);
      await a.op('getACL', { path: '/perms-big' });
      await a.create('/dup', 0, '', [...OPEN, ...OPEN]);
      await a.op('getACL', { path: '/dup' });
      await a.op('getACL', { path: '/missing' });
      await a.op('getChildren', { path: '/', watch: false });
    },
  },
  {
    name: 'null data and create opcode/mode combinations',
    extendedTypes: true,
    async run(r) {
      const a = await r.connect();
      await a.op('create', { path: '/null', data: null, acl: OPEN, flags: 0 });
      await a.op('getData', { path: '/null', watch: false });
      await a.op('create', { path: '/empty', data: Buffer.alloc(0), acl: OPEN, flags: 0 });
      await a.op('getData', { path: '/empty', watch: false });
      await a.op('setData', { path: '/empty', data: null, version: -1 });
      await a.op('getData', { path: '/empty', watch: false });
      await a.op('create', { path: '/c4', data: null, acl: OPEN, flags: 4 });
      await a.op('create2', { path: '/c4b', data: null, acl: OPEN, flags: 4 });
      await a.op('createContainer', { path: '/c0', data: null, acl: OPEN, flags: 0 });
      await a.op('createContainer', { path: '/c1', data: null, acl: OPEN, flags: 1 });
      await a.op('createContainer', { path: '/c5', data: null, acl: OPEN, flags: 5 });
      await a.op('create2', { path: '/t5', data: null, acl: OPEN, flags: 5 });
      await a.op('getChildren', { path: '/', watch: false });
      for (const p of ['/c4', '/c4b', '/c0', '/c1']) await a.op('exists', { path: p, watch: false });
    },
  },
];

differentialSuite('data operations, paths, ACLs', scenarios);
