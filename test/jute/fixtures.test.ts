/**
 * Byte-exact fixtures, written by hand from the protocol description
 * (/work/shared/reference/zookeeper-protocol.md: big-endian, int 4 bytes,
 * long 8, boolean 1, buffer/ustring = int32 length + bytes with -1 for null,
 * vector = int32 count + elements, frames = int32 length + body), never
 * produced by the code under test. Each fixture is checked both ways: encoding
 * the value gives exactly these bytes, and decoding these bytes gives the value
 * and consumes every byte.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import {
  ACLCodec,
  ConnectRequestCodec,
  ConnectResponseCodec,
  ErrorCode,
  EventType,
  IdCodec,
  JuteReader,
  JuteWriter,
  KeeperState,
  MultiHeaderCodec,
  OpCode,
  Ops,
  Perms,
  ReplyHeaderCodec,
  RequestHeaderCodec,
  StatCodec,
  WatcherEventCodec,
  Xid,
  type ACL,
  type Codec,
  type ReplyHeader,
  type RequestHeader,
  type Stat,
} from '../../src/jute/index.js';
import { decodeAll, encode, hex } from './arbitraries.js';

/** Joins hex fragments written one field per line; spaces and newlines are only layout. */
function h(...parts: string[]): string {
  const s = parts.join('').replace(/\s+/g, '');
  assert.match(s, /^([0-9a-f]{2})*$/, 'fixture is whole bytes of lowercase hex');
  return s;
}

function bytesOf(hexString: string): Buffer {
  return Buffer.from(hexString, 'hex');
}

/** Both directions for a bare record. */
function assertRecord<T>(codec: Codec<T>, value: T, expectedHex: string): void {
  assert.equal(hex(encode(codec, value)), expectedHex);
  assert.deepStrictEqual(decodeAll(codec, bytesOf(expectedHex)), value);
}

/** A frame: length prefix, then header and body. */
function frame(write: (w: JuteWriter) => void): string {
  const w = new JuteWriter();
  const at = w.beginFrame();
  write(w);
  w.endFrame(at);
  return hex(w.take());
}

/** Reads a frame's length prefix and returns a reader over exactly its body. */
function openFrame(hexString: string): JuteReader {
  const buf = bytesOf(hexString);
  const len = new JuteReader(buf).int();
  assert.equal(len, buf.length - 4, 'length prefix = bytes after it');
  return new JuteReader(buf, 4);
}

function assertRequestFrame<T>(header: RequestHeader, codec: Codec<T>, body: T, expectedHex: string): void {
  assert.equal(
    frame((w) => {
      RequestHeaderCodec.write(w, header);
      codec.write(w, body);
    }),
    expectedHex,
  );
  const r = openFrame(expectedHex);
  assert.deepStrictEqual(RequestHeaderCodec.read(r), header);
  assert.deepStrictEqual(codec.read(r), body);
  assert.equal(r.remaining, 0);
}

function assertReplyFrame<T>(header: ReplyHeader, codec: Codec<T>, body: T, expectedHex: string): void {
  assert.equal(
    frame((w) => {
      ReplyHeaderCodec.write(w, header);
      codec.write(w, body);
    }),
    expectedHex,
  );
  const r = openFrame(expectedHex);
  assert.deepStrictEqual(ReplyHeaderCodec.read(r), header);
  assert.deepStrictEqual(codec.read(r), body);
  assert.equal(r.remaining, 0);
}

// ---------------------------------------------------------------- shared values

const stat: Stat = {
  czxid: 0x1_0000_0002n,
  mzxid: 0x1_0000_0005n,
  ctime: 1_700_000_000_000,
  mtime: 1_700_000_001_234,
  version: 3,
  cversion: 0,
  aversion: 0,
  ephemeralOwner: 0x0100_0001_2345_6789n,
  dataLength: 5,
  numChildren: 0,
  pzxid: 0x1_0000_0002n,
};
const STAT_HEX = h(
  '0000000100000002', // czxid 0x100000002
  '0000000100000005', // mzxid 0x100000005
  '0000018bcfe56800', // ctime 1700000000000 = 0x18BCFE56800
  '0000018bcfe56cd2', // mtime 1700000001234 = 0x18BCFE56CD2
  '00000003', // version 3
  '00000000', // cversion 0
  '00000000', // aversion 0
  '0100000123456789', // ephemeralOwner
  '00000005', // dataLength 5
  '00000000', // numChildren 0
  '0000000100000002', // pzxid 0x100000002
);

const openAcl: ACL[] = [{ perms: Perms.all, id: { scheme: 'world', id: 'anyone' } }];
const OPEN_ACL_HEX = h(
  '00000001', // vector count 1
  '0000001f', // perms 31 (ALL)
  '00000005 776f726c64', // scheme "world"
  '00000006 616e796f6e65', // id "anyone"
);

// ---------------------------------------------------------------- handshake

test('ConnectRequest of a fresh Java client: 45 bytes after the length prefix', () => {
  const expected = h(
    '0000002d', // frame length 45
    '00000000', // protocolVersion 0
    '0000000000000000', // lastZxidSeen 0
    '00007530', // timeOut 30000
    '0000000000000000', // sessionId 0
    '00000010', // passwd length 16
    '00000000000000000000000000000000', // passwd: 16 zero bytes
    '00', // readOnly false
  );
  const value = {
    protocolVersion: 0,
    lastZxidSeen: 0n,
    timeOut: 30000,
    sessionId: 0n,
    passwd: Buffer.alloc(16),
    readOnly: false,
  };
  assert.equal(expected.length / 2, 4 + 45);
  assert.equal(frame((w) => ConnectRequestCodec.write(w, value)), expected);
  const r = openFrame(expected);
  assert.deepStrictEqual(ConnectRequestCodec.read(r), value);
  assert.equal(r.remaining, 0);
});

test('ConnectRequest of an old client without the readOnly byte: 44 bytes, readOnly absent', () => {
  const expected = h(
    '0000002c', // frame length 44
    '00000000', // protocolVersion 0
    '0000000100000009', // lastZxidSeen 0x100000009
    '00002710', // timeOut 10000
    '0100000123456789', // sessionId
    '00000010 0102030405060708090a0b0c0d0e0f10', // passwd
  );
  const value = {
    protocolVersion: 0,
    lastZxidSeen: 0x1_0000_0009n,
    timeOut: 10000,
    sessionId: 0x0100_0001_2345_6789n,
    passwd: bytesOf('0102030405060708090a0b0c0d0e0f10'),
  };
  assert.equal(frame((w) => ConnectRequestCodec.write(w, value)), expected);
  const decoded = ConnectRequestCodec.read(openFrame(expected));
  assert.deepStrictEqual(decoded, value);
  assert.ok(!('readOnly' in decoded));
});

test('ConnectResponse: 37 bytes with readOnly, 36 without, and the expired-session answer', () => {
  const passwd = bytesOf('0102030405060708090a0b0c0d0e0f10');
  const base = h(
    '00000000', // protocolVersion 0
    '00009c40', // timeOut 40000
    '0100000123456789', // sessionId
    '00000010 0102030405060708090a0b0c0d0e0f10', // passwd
  );
  const withRo = { protocolVersion: 0, timeOut: 40000, sessionId: 0x0100_0001_2345_6789n, passwd, readOnly: false };
  assert.equal(frame((w) => ConnectResponseCodec.write(w, withRo)), h('00000025', base, '00'));
  assert.deepStrictEqual(ConnectResponseCodec.read(openFrame(h('00000025', base, '00'))), withRo);
  const ro = { ...withRo, readOnly: true };
  assert.deepStrictEqual(ConnectResponseCodec.read(openFrame(h('00000025', base, '01'))), ro);
  const { readOnly: _, ...old } = withRo;
  assert.equal(frame((w) => ConnectResponseCodec.write(w, old)), h('00000024', base));
  assert.deepStrictEqual(ConnectResponseCodec.read(openFrame(h('00000024', base))), old);

  // Invalid or expired session: timeOut 0, sessionId 0, 16 zero bytes.
  const expired = { protocolVersion: 0, timeOut: 0, sessionId: 0n, passwd: Buffer.alloc(16), readOnly: false };
  assertRecord(
    ConnectResponseCodec,
    expired,
    h('00000000', '00000000', '0000000000000000', '00000010', '00'.repeat(16), '00'),
  );
});

// ---------------------------------------------------------------- records

test('Stat is 68 bytes', () => {
  assert.equal(STAT_HEX.length / 2, 68);
  assertRecord(StatCodec, stat, STAT_HEX);
  // Negative and large values: a container's ephemeralOwner as Java stores it, version -1.
  assertRecord(
    StatCodec,
    { ...stat, ephemeralOwner: -(1n << 63n), version: -1, mtime: 0 },
    h(STAT_HEX.slice(0, 48), '0000000000000000', 'ffffffff', STAT_HEX.slice(72, 88), '8000000000000000', STAT_HEX.slice(104)),
  );
});

test('ReplyHeader is 16 bytes: OK and NoNode', () => {
  const ok = h('00000001', '0000000100000005', '00000000');
  assert.equal(ok.length / 2, 16);
  assertRecord(ReplyHeaderCodec, { xid: 1, zxid: 0x1_0000_0005n, err: ErrorCode.OK }, ok);
  assertRecord(
    ReplyHeaderCodec,
    { xid: 7, zxid: 0x1_0000_0006n, err: ErrorCode.NONODE },
    h('00000007', '0000000100000006', 'ffffff9b'), // -101
  );
});

test('MultiHeader is 9 bytes', () => {
  assertRecord(MultiHeaderCodec, { type: OpCode.create, done: false, err: -1 }, h('00000001', '00', 'ffffffff'));
  assertRecord(MultiHeaderCodec, { type: -1, done: true, err: -1 }, h('ffffffff', '01', 'ffffffff'));
});

test('Id and ACL', () => {
  assertRecord(IdCodec, { scheme: 'world', id: 'anyone' }, h('00000005 776f726c64', '00000006 616e796f6e65'));
  assertRecord(ACLCodec, openAcl[0], OPEN_ACL_HEX.slice(8));
  assertRecord(
    ACLCodec,
    { perms: Perms.read | Perms.admin, id: { scheme: 'ip', id: '' } },
    h('00000011', '00000002 6970', '00000000'), // perms 17, scheme "ip", id ""
  );
  assertRecord(Ops.getACL.response, { acl: openAcl, stat }, h(OPEN_ACL_HEX, STAT_HEX));
  assertRecord(Ops.getACL.response, { acl: [], stat }, h('00000000', STAT_HEX));
});

// ---------------------------------------------------------------- requests and replies

test('ping: request header only, reply header only', () => {
  assertRequestFrame({ xid: Xid.ping, type: OpCode.ping }, Ops.ping.request, {}, h('00000008', 'fffffffe', '0000000b'));
  assertReplyFrame(
    { xid: Xid.ping, zxid: 0x1_0000_0005n, err: 0 },
    Ops.ping.response,
    {},
    h('00000010', 'fffffffe', '0000000100000005', '00000000'),
  );
});

test('closeSession request', () => {
  assertRequestFrame({ xid: 5, type: OpCode.closeSession }, Ops.closeSession.request, {}, h('00000008', '00000005', 'fffffff5'));
});

test('getData request with a watch, and its reply', () => {
  assertRequestFrame(
    { xid: 1, type: OpCode.getData },
    Ops.getData.request,
    { path: '/foo', watch: true },
    h(
      '00000011', // frame length 17
      '00000001 00000004', // xid 1, type 4
      '00000004 2f666f6f', // path "/foo"
      '01', // watch true
    ),
  );
  const reply = h(
    '0000005d', // frame length 93 = 16 + 9 + 68
    '00000001 0000000100000005 00000000', // ReplyHeader xid 1, zxid, err 0
    '00000005 68656c6c6f', // data "hello"
    STAT_HEX,
  );
  assertReplyFrame({ xid: 1, zxid: 0x1_0000_0005n, err: 0 }, Ops.getData.response, { data: Buffer.from('hello'), stat }, reply);
  // null data (-1) and empty data (0) are different bytes.
  const header = { xid: 2, zxid: 0x1_0000_0005n, err: 0 };
  assertReplyFrame(header, Ops.getData.response, { data: null, stat }, h('00000058', '00000002 0000000100000005 00000000', 'ffffffff', STAT_HEX));
  assertReplyFrame(header, Ops.getData.response, { data: Buffer.alloc(0), stat }, h('00000058', '00000002 0000000100000005 00000000', '00000000', STAT_HEX));
});

test('an error reply has no body', () => {
  const expected = h('00000010', '00000003', '0000000100000006', 'ffffff92'); // NODEEXISTS -110
  assert.equal(frame((w) => ReplyHeaderCodec.write(w, { xid: 3, zxid: 0x1_0000_0006n, err: ErrorCode.NODEEXISTS })), expected);
});

test('create request (open ACL, ephemeral sequential) and create2 reply', () => {
  assertRequestFrame(
    { xid: 4, type: OpCode.create2 },
    Ops.create2.request,
    { path: '/app/lock-', data: null, acl: openAcl, flags: 3 },
    h(
      '00000039', // frame length 57 = 8 header + 14 path + 4 data + 27 acl + 4 flags
      '00000004 0000000f', // xid 4, type 15
      '0000000a 2f6170702f6c6f636b2d', // path "/app/lock-"
      'ffffffff', // data null
      OPEN_ACL_HEX,
      '00000003', // flags EPHEMERAL_SEQUENTIAL
    ),
  );
  assertReplyFrame(
    { xid: 4, zxid: 0x1_0000_0002n, err: 0 },
    Ops.create2.response,
    { path: '/a', stat },
    h('0000005a', '00000004 0000000100000002 00000000', '00000002 2f61', STAT_HEX), // 90 = 16 + 6 + 68
  );
});

test('createTTL request carries the ttl as a long after the flags', () => {
  assertRequestFrame(
    { xid: 9, type: OpCode.createTTL },
    Ops.createTTL.request,
    { path: '/t', data: Buffer.from('x'), acl: openAcl, flags: 5, ttl: 3_600_000 },
    h(
      '0000003a', // frame length 58 = 8 header + 6 path + 5 data + 27 acl + 4 flags + 8 ttl
      '00000009 00000015', // xid 9, type 21
      '00000002 2f74', // path "/t"
      '00000001 78', // data "x"
      OPEN_ACL_HEX,
      '00000005', // flags PERSISTENT_WITH_TTL
      '000000000036ee80', // ttl 3600000
    ),
  );
});

test('multi with one create and the terminator, and its replies', () => {
  const request = h(
    '00000044', // frame length 68
    '00000002 0000000e', // xid 2, type 14 (multi)
    '00000001 00 ffffffff', // MultiHeader{create, done=false, err=-1}
    '00000002 2f61', // path "/a"
    '00000001 78', // data "x"
    OPEN_ACL_HEX,
    '00000000', // flags PERSISTENT
    'ffffffff 01 ffffffff', // terminator MultiHeader{-1, done=true, -1}
  );
  assertRequestFrame(
    { xid: 2, type: OpCode.multi },
    Ops.multi.request,
    { ops: [{ type: 'create', request: { path: '/a', data: Buffer.from('x'), acl: openAcl, flags: 0 } }] },
    request,
  );

  const reply = h(
    '00000028', // frame length 40
    '00000002 0000000100000007 00000000', // ReplyHeader
    '00000001 00 00000000', // MultiHeader{create, false, err 0}
    '00000002 2f61', // CreateResponse "/a"
    'ffffffff 01 ffffffff', // terminator
  );
  assertReplyFrame({ xid: 2, zxid: 0x1_0000_0007n, err: 0 }, Ops.multi.response, { results: [{ type: 'create', response: { path: '/a' } }] }, reply);

  // A failed transaction: earlier ops err 0, the failing one its code, later ones -2.
  const failed = h(
    '00000040', // 16 + 3 * 13 + 9 = 64
    '00000002 0000000100000008 00000000',
    'ffffffff 00 00000000 00000000', // error 0
    'ffffffff 00 ffffff92 ffffff92', // error -110 NODEEXISTS
    'ffffffff 00 fffffffe fffffffe', // error -2 RUNTIMEINCONSISTENCY
    'ffffffff 01 ffffffff',
  );
  assertReplyFrame(
    { xid: 2, zxid: 0x1_0000_0008n, err: 0 },
    Ops.multi.response,
    {
      results: [
        { type: 'error', err: 0 },
        { type: 'error', err: ErrorCode.NODEEXISTS },
        { type: 'error', err: ErrorCode.RUNTIMEINCONSISTENCY },
      ],
    },
    failed,
  );

  // delete, check and setData results.
  assertRecord(
    Ops.multi.response,
    { results: [{ type: 'delete' }, { type: 'check' }, { type: 'setData', response: stat }] },
    h('00000002 00 00000000', '0000000d 00 00000000', '00000005 00 00000000', STAT_HEX, 'ffffffff 01 ffffffff'),
  );
});

test('multiRead request and reply', () => {
  assertRecord(
    Ops.multiRead.request,
    { ops: [{ type: 'getData', request: { path: '/a', watch: false } }, { type: 'getChildren', request: { path: '/', watch: true } }] },
    h('00000004 00 ffffffff', '00000002 2f61 00', '00000008 00 ffffffff', '00000001 2f 01', 'ffffffff 01 ffffffff'),
  );
  assertRecord(
    Ops.multiRead.response,
    {
      results: [
        { type: 'getData', response: { data: Buffer.from('x'), stat } },
        { type: 'getChildren', response: { children: ['a', 'b'] } },
        { type: 'error', err: ErrorCode.NONODE },
      ],
    },
    h(
      '00000004 00 00000000',
      '00000001 78',
      STAT_HEX,
      '00000008 00 00000000',
      '00000002 00000001 61 00000001 62',
      'ffffffff 00 ffffff9b ffffff9b',
      'ffffffff 01 ffffffff',
    ),
  );
});

test('a watch notification: ReplyHeader{-1, -1, 0} then WatcherEvent', () => {
  const expected = h(
    '00000020', // frame length 32
    'ffffffff ffffffffffffffff 00000000', // xid -1, zxid -1, err 0
    '00000003', // type NodeDataChanged
    '00000003', // state SyncConnected
    '00000004 2f666f6f', // path "/foo"
  );
  const header = { xid: Xid.notification, zxid: -1n, err: 0 };
  const event = { type: EventType.nodeDataChanged, state: KeeperState.syncConnected, path: '/foo' };
  assertReplyFrame(header, WatcherEventCodec, event, expected);
});

test('auth packet with xid -4', () => {
  assertRequestFrame(
    { xid: Xid.auth, type: OpCode.auth },
    Ops.auth.request,
    { type: 0, scheme: 'digest', auth: Buffer.from('bob:secret') },
    h(
      '00000024', // frame length 36
      'fffffffc 00000064', // xid -4, type 100
      '00000000', // type 0
      '00000006 646967657374', // scheme "digest"
      '0000000a 626f623a736563726574', // auth "bob:secret"
    ),
  );
});

test('setWatches and setWatches2', () => {
  const base = h(
    '0000000100000005', // relativeZxid
    '00000001 00000004 2f666f6f', // dataWatches ["/foo"]
    '00000000', // existWatches []
    '00000001 00000001 2f', // childWatches ["/"]
  );
  const value = { relativeZxid: 0x1_0000_0005n, dataWatches: ['/foo'], existWatches: [], childWatches: ['/'] };
  assertRecord(Ops.setWatches.request, value, base);
  assertRecord(
    Ops.setWatches2.request,
    { ...value, persistentWatches: [], persistentRecursiveWatches: ['/a'] },
    h(base, '00000000', '00000001 00000002 2f61'),
  );
});

test('small bodies: addWatch, removeWatches, delete, setData, sync, getAllChildrenNumber, whoAmI', () => {
  assertRecord(Ops.addWatch.request, { path: '/a', mode: 1 }, h('00000002 2f61', '00000001'));
  assertRecord(Ops.addWatch.response, { err: 0 }, '00000000');
  assertRecord(Ops.removeWatches.request, { path: '/a', type: 3 }, h('00000002 2f61', '00000003'));
  assertRecord(Ops.delete.request, { path: '/a', version: -1 }, h('00000002 2f61', 'ffffffff'));
  assertRecord(Ops.setData.request, { path: '/a', data: Buffer.from('hello'), version: 2 }, h('00000002 2f61', '00000005 68656c6c6f', '00000002'));
  assertRecord(Ops.sync.request, { path: '/' }, '000000012f');
  assertRecord(Ops.getAllChildrenNumber.response, { totalNumber: 258 }, '00000102');
  assertRecord(Ops.getChildren2.response, { children: ['a'], stat }, h('00000001 00000001 61', STAT_HEX));
  assertRecord(
    Ops.whoAmI.response,
    { clientInfo: [{ authScheme: 'ip', user: '127.0.0.1' }] },
    h('00000001', '00000002 6970', '00000009 3132372e302e302e31'),
  );
});
