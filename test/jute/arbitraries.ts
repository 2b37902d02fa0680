/**
 * fast-check arbitraries for every jute record and for the request and
 * response body of every op in `Ops`, plus the encode/decode helpers the jute
 * tests share. Not a test file: it registers no tests.
 *
 * `opArbitraries` is typed as a mapped type over `keyof typeof Ops`, so adding
 * an op to the table without an arbitrary here is a compile error (and
 * records.test.ts also checks it at run time).
 */
import fc from 'fast-check';
import {
  JuteReader,
  JuteWriter,
  Ops,
  type ACL,
  type Codec,
  type ConnectRequest,
  type ConnectResponse,
  type Create2Response,
  type CreateRequest,
  type CreateTTLRequest,
  type Empty,
  type GetDataResponse,
  type Id,
  type MultiHeader,
  type MultiOp,
  type MultiResult,
  type PathRequest,
  type PathVersionRequest,
  type PathWatchRequest,
  type ReplyHeader,
  type RequestHeader,
  type RequestOf,
  type ResponseOf,
  type SetDataRequest,
  type SetWatchesRequest,
  type Stat,
  type WatcherEvent,
  type WatchesRequest,
} from '../../src/jute/index.js';

// ---------------------------------------------------------------- primitives

/**
 * fc.record, but never with a null prototype (fast-check v4 generates those by
 * default): decoders build plain objects and deepStrictEqual compares prototypes.
 */
export const rec: typeof fc.record = (model, constraints) =>
  fc.record(model, { ...constraints, noNullPrototype: true });


export const int32 = fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff });
export const int64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
/** What `longNumber` carries: any safe integer (times, TTLs). */
export const safeLong = fc.maxSafeInteger();

/**
 * One Unicode code point, never a lone surrogate (those cannot survive UTF-8):
 * ASCII, the rest of the BMP, and the astral planes (2 UTF-16 units, 4 UTF-8 bytes).
 * (Built by hand: fc.string({ unit: 'binary' }) takes over a second to construct.)
 */
export const codePoint = fc
  .oneof(
    fc.integer({ min: 0x20, max: 0x7e }),
    fc.integer({ min: 0, max: 0xd7ff }),
    fc.integer({ min: 0xe000, max: 0xffff }),
    fc.integer({ min: 0x1_0000, max: 0x10_ffff }),
  )
  .map((cp) => String.fromCodePoint(cp));

/** Any Unicode string without lone surrogates, astral planes included. */
export const unicode = fc.string({ unit: codePoint, maxLength: 12 });

export const ustr = fc.oneof(
  unicode,
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.string({ maxLength: 12 }),
);

const segment = fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 8 }).map((s) => s.replaceAll('/', '_'));
/** Realistic znode paths most of the time, any string (codecs do not validate) otherwise. */
export const path = fc.oneof(
  { weight: 3, arbitrary: fc.array(segment, { minLength: 0, maxLength: 4 }).map((p) => '/' + p.join('/')) },
  { weight: 1, arbitrary: ustr },
);

export const bytes = fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u));
export const nullableBytes = fc.option(bytes, { nil: null });
export const nullableUstr = fc.option(ustr, { nil: null });
export const bool = fc.boolean();
export const strings = fc.array(path, { maxLength: 6 });

// ---------------------------------------------------------------- records

export const stat: fc.Arbitrary<Stat> = rec({
  czxid: int64,
  mzxid: int64,
  ctime: safeLong,
  mtime: safeLong,
  version: int32,
  cversion: int32,
  aversion: int32,
  ephemeralOwner: int64,
  dataLength: int32,
  numChildren: int32,
  pzxid: int64,
});

export const id: fc.Arbitrary<Id> = rec({
  scheme: fc.oneof(fc.constantFrom('world', 'auth', 'digest', 'ip', 'super', 'x509'), ustr),
  id: ustr,
});
export const acl: fc.Arbitrary<ACL> = rec({ perms: int32, id });
export const acls = fc.array(acl, { maxLength: 4 });

export const requestHeader: fc.Arbitrary<RequestHeader> = rec({ xid: int32, type: int32 });
export const replyHeader: fc.Arbitrary<ReplyHeader> = rec({ xid: int32, zxid: int64, err: int32 });
export const watcherEvent: fc.Arbitrary<WatcherEvent> = rec({ type: int32, state: int32, path });
export const multiHeader: fc.Arbitrary<MultiHeader> = rec({ type: int32, done: bool, err: int32 });

const password = fc.oneof(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ maxLength: 20 })).map((u) =>
  Buffer.from(u),
);
/** `readOnly` is either a boolean or absent (the key omitted, as an old client's frame decodes). */
export const connectRequest: fc.Arbitrary<ConnectRequest> = rec(
  { protocolVersion: int32, lastZxidSeen: int64, timeOut: int32, sessionId: int64, passwd: password, readOnly: bool },
  { requiredKeys: ['protocolVersion', 'lastZxidSeen', 'timeOut', 'sessionId', 'passwd'] },
);
export const connectResponse: fc.Arbitrary<ConnectResponse> = rec(
  { protocolVersion: int32, timeOut: int32, sessionId: int64, passwd: password, readOnly: bool },
  { requiredKeys: ['protocolVersion', 'timeOut', 'sessionId', 'passwd'] },
);

// ---------------------------------------------------------------- op bodies

const empty: fc.Arbitrary<Empty> = fc.constant({});
const pathRequest: fc.Arbitrary<PathRequest> = rec({ path });
const pathWatch: fc.Arbitrary<PathWatchRequest> = rec({ path, watch: bool });
const pathVersion: fc.Arbitrary<PathVersionRequest> = rec({ path, version: int32 });
const createRequest: fc.Arbitrary<CreateRequest> = rec({ path, data: nullableBytes, acl: acls, flags: int32 });
const createTTLRequest: fc.Arbitrary<CreateTTLRequest> = rec({
  path,
  data: nullableBytes,
  acl: acls,
  flags: int32,
  ttl: safeLong,
});
const setDataRequest: fc.Arbitrary<SetDataRequest> = rec({ path, data: nullableBytes, version: int32 });
const create2Response: fc.Arbitrary<Create2Response> = rec({ path, stat });
const getDataResponse: fc.Arbitrary<GetDataResponse> = rec({ data: nullableBytes, stat });
const watchesRequest: fc.Arbitrary<WatchesRequest> = rec({ path, type: int32 });
const setWatchesRequest: fc.Arbitrary<SetWatchesRequest> = rec({
  relativeZxid: int64,
  dataWatches: strings,
  existWatches: strings,
  childWatches: strings,
});

/** The ops allowed in a multi (transaction). */
export const multiWriteOp: fc.Arbitrary<MultiOp> = fc.oneof(
  rec({ type: fc.constantFrom('create' as const, 'create2' as const, 'createContainer' as const), request: createRequest }),
  rec({ type: fc.constant('createTTL' as const), request: createTTLRequest }),
  rec({ type: fc.constantFrom('delete' as const, 'check' as const), request: pathVersion }),
  rec({ type: fc.constant('setData' as const), request: setDataRequest }),
);
/** The ops allowed in a multiRead. */
export const multiReadOp: fc.Arbitrary<MultiOp> = rec({
  type: fc.constantFrom('getData' as const, 'getChildren' as const),
  request: pathWatch,
});
/** Any op the MultiRequest codec carries, reads and writes mixed. */
export const multiAnyOp: fc.Arbitrary<MultiOp> = fc.oneof(multiWriteOp, multiReadOp);

export const multiResult: fc.Arbitrary<MultiResult> = fc.oneof(
  rec({ type: fc.constant('create' as const), response: rec({ path }) }),
  rec({ type: fc.constant('create2' as const), response: create2Response }),
  rec({ type: fc.constantFrom('delete' as const, 'check' as const) }),
  rec({ type: fc.constant('setData' as const), response: stat }),
  rec({ type: fc.constant('getData' as const), response: getDataResponse }),
  rec({ type: fc.constant('getChildren' as const), response: rec({ children: strings }) }),
  rec({ type: fc.constant('error' as const), err: int32 }),
);

type OpName = keyof typeof Ops;
export type OpArbitraries = {
  [K in OpName]: {
    request: fc.Arbitrary<RequestOf<(typeof Ops)[K]>>;
    response: fc.Arbitrary<ResponseOf<(typeof Ops)[K]>>;
  };
};

export const opArbitraries: OpArbitraries = {
  create: { request: createRequest, response: rec({ path }) },
  create2: { request: createRequest, response: create2Response },
  createContainer: { request: createRequest, response: create2Response },
  createTTL: { request: createTTLRequest, response: create2Response },
  delete: { request: pathVersion, response: empty },
  deleteContainer: { request: pathRequest, response: empty },
  exists: { request: pathWatch, response: stat },
  getData: { request: pathWatch, response: getDataResponse },
  setData: { request: setDataRequest, response: stat },
  getACL: { request: pathRequest, response: rec({ acl: acls, stat }) },
  setACL: { request: rec({ path, acl: acls, version: int32 }), response: stat },
  getChildren: { request: pathWatch, response: rec({ children: strings }) },
  getChildren2: { request: pathWatch, response: rec({ children: strings, stat }) },
  sync: { request: pathRequest, response: pathRequest },
  ping: { request: empty, response: empty },
  check: { request: pathVersion, response: empty },
  multi: {
    request: rec({ ops: fc.array(multiWriteOp, { maxLength: 6 }) }),
    response: rec({ results: fc.array(multiResult, { maxLength: 6 }) }),
  },
  multiRead: {
    request: rec({ ops: fc.array(multiReadOp, { maxLength: 6 }) }),
    response: rec({ results: fc.array(multiResult, { maxLength: 6 }) }),
  },
  reconfig: {
    request: rec({
      joiningServers: nullableUstr,
      leavingServers: nullableUstr,
      newMembers: nullableUstr,
      curConfigId: int64,
    }),
    response: getDataResponse,
  },
  checkWatches: { request: watchesRequest, response: empty },
  removeWatches: { request: watchesRequest, response: empty },
  auth: { request: rec({ type: int32, scheme: ustr, auth: nullableBytes }), response: empty },
  setWatches: { request: setWatchesRequest, response: empty },
  setWatches2: {
    request: rec({
      relativeZxid: int64,
      dataWatches: strings,
      existWatches: strings,
      childWatches: strings,
      persistentWatches: strings,
      persistentRecursiveWatches: strings,
    }),
    response: empty,
  },
  sasl: { request: rec({ token: nullableBytes }), response: rec({ token: nullableBytes }) },
  getEphemerals: { request: rec({ prefixPath: path }), response: rec({ ephemerals: strings }) },
  getAllChildrenNumber: { request: pathRequest, response: rec({ totalNumber: int32 }) },
  addWatch: { request: rec({ path, mode: int32 }), response: rec({ err: int32 }) },
  whoAmI: {
    request: empty,
    response: rec({ clientInfo: fc.array(rec({ authScheme: ustr, user: ustr }), { maxLength: 4 }) }),
  },
  closeSession: { request: empty, response: empty },
};

// ---------------------------------------------------------------- helpers

export function encode<T>(codec: Codec<T>, value: T): Buffer {
  const w = new JuteWriter(16);
  codec.write(w, value);
  return w.take();
}

/** Decodes `buf` entirely: fails unless the codec consumes exactly every byte. */
export function decodeAll<T>(codec: Codec<T>, buf: Buffer): T {
  const r = new JuteReader(buf);
  const v = codec.read(r);
  if (r.offset !== buf.length) throw new Error(`decoder consumed ${r.offset} of ${buf.length} bytes`);
  return v;
}

export function hex(buf: Uint8Array): string {
  return Buffer.from(buf).toString('hex');
}
