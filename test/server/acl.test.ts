import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  authenticate,
  checkACL,
  digestId,
  fixupACL,
  ipMatches,
  isValidAclId,
  maskDigests,
  mergeAuthIds,
  normalizeClientIp,
  x509AuthIds,
  type AuthId,
} from '../../src/server/acl.js';
import type { ACL } from '../../src/jute/records/acl.js';
import { Perms } from '../../src/jute/enums.js';
import { ErrorCode } from '../../src/jute/error-codes.js';

function acl(perms: number, scheme: string, id: string): ACL {
  return { perms, id: { scheme, id } };
}

const IP: AuthId = { scheme: 'ip', id: '127.0.0.1' };
const WORLD_ALL = acl(Perms.all, 'world', 'anyone');

describe('digestId', () => {
  it('matches the literals in ZooKeeper\'s AuthTest', () => {
    assert.equal(digestId('super:test'), 'super:D/InIHSb7yEEbrWz8b9l71RjZJU=');
    assert.equal(digestId('super:zookeeper'), 'super:yyuhPKumRtNj4r8GnSbbwuq1vhE=');
  });

  it('is user + base64(sha1(whole string))', () => {
    for (const s of ['alice:secret', 'bob:pa:ss', 'üser:päss', ':', 'x:']) {
      const hash = createHash('sha1').update(Buffer.from(s, 'utf8')).digest('base64');
      assert.equal(digestId(s), `${s.slice(0, s.indexOf(':'))}:${hash}`);
    }
  });

  // Values from ZooKeeper 3.8.0's DigestAuthenticationProvider.generateDigest.
  it('agrees with ZooKeeper on odd input', () => {
    assert.equal(digestId('nocolon'), 'nocolon:Ra+cHr2ZoHvBjtNArFGNGlVie4g=');
    assert.equal(digestId('user:pa:ss'), 'user:eGYxmOtrfaj/35Fq9lW7ol9psVU=');
    assert.equal(digestId('üser:päss'), 'üser:vded1Ovo1VwX+Ij5npqXFLuyBs4=');
    assert.equal(digestId(':'), ':BaefBs8/Z/cm2uaNGKIpD2yaUMk=');
    assert.equal(digestId(''), ':2jmj7l5rSw0yVb/vlWAYkK/YBwk=');
    // Java encodes a lone surrogate as '?'.
    assert.equal(digestId('a\ud800b:c'), 'a\ud800b:uqYRCL4ioQ0s8t1YpU7beoITo8E=');
  });
});

describe('authenticate', () => {
  it('digest always succeeds with the digest id', () => {
    assert.deepEqual(authenticate('digest', Buffer.from('alice:secret'), '10.0.0.1'), [
      { scheme: 'digest', id: digestId('alice:secret') },
    ]);
    // No colon is not an error in ZooKeeper: the whole string is the user.
    assert.deepEqual(authenticate('digest', Buffer.from('nocolon'), '10.0.0.1'), [
      { scheme: 'digest', id: 'nocolon:Ra+cHr2ZoHvBjtNArFGNGlVie4g=' },
    ]);
  });

  it('digest decodes malformed UTF-8 as Java does', () => {
    // Expected hashes from ZooKeeper 3.8.0 on the same bytes.
    const cases: ReadonlyArray<readonly [string, string]> = [
      ['753aeda08078', 'S4dNrmWVdGA2oJvbuKzKAbsdmho='],
      ['753a61e28262f09fc0ffeda080c0aff49080807a', 'EwZV+Rbtf0QKhMtICNNhyIcHvMc='],
      ['75e4733a70', 'RF1AB5XTEDlY1Hqq0uQdUHbDg/4='],
    ];
    for (const [hex, hash] of cases) {
      const ids = authenticate('digest', Buffer.from(hex, 'hex'), '10.0.0.1');
      assert.ok(ids !== null);
      assert.equal(ids.length, 1);
      assert.equal(ids[0].id.slice(ids[0].id.lastIndexOf(':') + 1), hash, hex);
    }
  });

  it('digest matching superDigest adds super', () => {
    const options = { superDigest: 'super:D/InIHSb7yEEbrWz8b9l71RjZJU=' };
    assert.deepEqual(authenticate('digest', Buffer.from('super:test'), '10.0.0.1', options), [
      { scheme: 'super', id: '' },
      { scheme: 'digest', id: 'super:D/InIHSb7yEEbrWz8b9l71RjZJU=' },
    ]);
    assert.deepEqual(authenticate('digest', Buffer.from('super:wrong'), '10.0.0.1', options), [
      { scheme: 'digest', id: digestId('super:wrong') },
    ]);
    // Without the option, super:test is an ordinary digest user.
    assert.deepEqual(authenticate('digest', Buffer.from('super:test'), '10.0.0.1'), [
      { scheme: 'digest', id: 'super:D/InIHSb7yEEbrWz8b9l71RjZJU=' },
    ]);
  });

  it('ip authenticates as the client address, ignoring the data', () => {
    assert.deepEqual(authenticate('ip', Buffer.from('1.2.3.4'), '10.0.0.1'), [{ scheme: 'ip', id: '10.0.0.1' }]);
  });

  it('schemes without a provider fail', () => {
    for (const scheme of ['world', 'super', 'auth', 'sasl', 'x509', 'kerberos', '', 'DIGEST']) {
      assert.equal(authenticate(scheme, Buffer.from('a:b'), '10.0.0.1', { x509: true }), null, scheme);
    }
  });
});

describe('session ids', () => {
  it('mergeAuthIds keeps a set', () => {
    const d = { scheme: 'digest', id: 'u:h' };
    assert.deepEqual(mergeAuthIds([IP], [d, IP, d]), [IP, d]);
  });

  it('x509AuthIds adds super for the configured subject', () => {
    assert.deepEqual(x509AuthIds('CN=a'), [{ scheme: 'x509', id: 'CN=a' }]);
    assert.deepEqual(x509AuthIds('CN=root', { x509SuperUser: 'CN=root' }), [
      { scheme: 'super', id: 'CN=root' },
      { scheme: 'x509', id: 'CN=root' },
    ]);
  });

  it('normalizeClientIp gives Java getHostAddress text', () => {
    assert.equal(normalizeClientIp('127.0.0.1'), '127.0.0.1');
    assert.equal(normalizeClientIp('::ffff:10.1.2.3'), '10.1.2.3');
    assert.equal(normalizeClientIp('::1'), '0:0:0:0:0:0:0:1');
    assert.equal(normalizeClientIp('2001:db8::a:0bcd'), '2001:db8:0:0:0:0:a:bcd');
    assert.equal(normalizeClientIp('fe80::1%eth0'), 'fe80:0:0:0:0:0:0:1%eth0');
    assert.equal(normalizeClientIp('::1.2.3.4'), '0:0:0:0:0:0:102:304');
    assert.equal(normalizeClientIp('not-an-ip'), 'not-an-ip');
  });
});

describe('ip matching', () => {
  // IPv4 expectations from ZooKeeper 3.8.0's IPAuthenticationProvider.matches.
  const V4: ReadonlyArray<readonly [string, string, boolean]> = [
    ['10.1.2.3', '10.0.0.0/8', true],
    ['11.1.2.3', '10.0.0.0/8', false],
    ['10.1.2.3', '10.1.2.3', true],
    ['10.1.2.4', '10.1.2.3', false],
    ['192.168.1.77', '192.168.1.0/24', true],
    ['192.168.2.77', '192.168.1.0/24', false],
    ['1.2.3.4', '0.0.0.0/0', true],
    ['1.2.3.4', '9.9.9.9/0', true],
    ['10.1.2.3', '10.1.2.3/32', true],
    ['10.1.2.3', '10.1.2.3/33', false],
    ['10.1.2.3', '10.1.2.3/-1', false],
    ['10.1.2.3', '10.1.2.3/', false],
    ['10.1.2.3', '10.1.2.3/+8', true],
    ['10.1.2.3', '10.1.2.3/08', true],
    ['10.1.2.3', '10.1.2.3/ 8', false],
    ['10.1.2.3', '10.1.2.3/8/1', false],
    ['10.1.2.3', '010.1.2.3', true],
    ['10.1.2.3', '+10.1.2.3', true],
    ['0.1.2.3', '-0.1.2.3', true],
    ['10.1.2.3', '10.1.2', false],
    ['10.1.2.3', '10.1.2.3.', false],
    ['10.1.2.3', '256.1.2.3', false],
    ['172.16.5.4', '172.16.0.0/12', true],
    ['172.31.255.255', '172.16.0.0/12', true],
    ['172.32.5.4', '172.16.0.0/12', false],
  ];
  for (const [client, expr, expected] of V4) {
    it(`${client} vs ${expr} -> ${expected}`, () => {
      assert.equal(ipMatches(client, expr), expected);
      assert.equal(ipMatches(client, expr, { ipv6: false }), expected);
    });
  }

  const V6: ReadonlyArray<readonly [string, string, boolean]> = [
    ['::1', '::1', true],
    ['0:0:0:0:0:0:0:1', '::1', true],
    ['::2', '::1', false],
    ['2001:db8::1', '2001:db8::/32', true],
    ['2001:db8:ffff::1', '2001:db8::/32', true],
    ['2001:db9::1', '2001:db8::/32', false],
    ['2001:db8::1', '2001:DB8:0:0:0:0:0:0/48', true],
    ['fe80::1', '::/0', true],
    ['fe80::1', 'fe80::1/128', true],
    ['fe80::1', 'fe80::1/129', false],
    ['fe80::1', 'fe80::0/127', true],
    ['fe80::3', 'fe80::2/127', true],
    ['fe80::4', 'fe80::2/127', false],
    // Families never match each other, even with /0.
    ['10.0.0.1', '::/0', false],
    ['::1', '0.0.0.0/0', false],
    // ZooKeeper's parser takes no dotted tail or zone, and needs '::' to stand for at least one group.
    ['::ffff:10.0.0.1', '::ffff:10.0.0.1', false],
    ['fe80::1%eth0', 'fe80::1', false],
    ['1:2:3:4:5:6:7:8', '1:2:3:4::5:6:7:8', false],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8', true],
    ['1:2:3:4:5:6:7:0', '1:2:3:4:5:6:7::', true],
    ['1::2', '1:::2', false],
    ['1::2', '1::2::', false],
    ['1::2', '1::00002', false],
    ['::ffff', '::-1', true],
  ];
  for (const [client, expr, expected] of V6) {
    it(`${client} vs ${expr} -> ${expected}`, () => {
      assert.equal(ipMatches(client, expr), expected);
    });
  }

  it('ZooKeeper 3.8 mode is IPv4 only', () => {
    assert.equal(ipMatches('::1', '::1', { ipv6: false }), false);
    assert.equal(isValidAclId('ip', '::1', { ipv6: false }), false);
    assert.equal(isValidAclId('ip', '::1'), true);
  });
});

describe('isValidAclId', () => {
  it('digest ids split into exactly two parts, as Java split does', () => {
    // Expectations from ZooKeeper 3.8.0's DigestAuthenticationProvider.isValid.
    const cases: ReadonlyArray<readonly [string, boolean]> = [
      ['user:hash', true],
      ['user:hash:', true],
      ['a:b::', true],
      [':hash', true],
      ['a:b\nc', true],
      ['user:', false],
      ['user', false],
      [':', false],
      ['::', false],
      ['a:b:c', false],
      ['a::', false],
      ['', false],
    ];
    for (const [id, valid] of cases) assert.equal(isValidAclId('digest', id), valid, JSON.stringify(id));
  });

  it('ip ids are an address with optional prefix length', () => {
    // Expectations from ZooKeeper 3.8.0's IPAuthenticationProvider.isValid.
    const cases: ReadonlyArray<readonly [string, boolean]> = [
      ['10.0.0.0/8', true],
      ['1.2.3.4', true],
      ['-0.0.0.0', true],
      ['1.2.3', false],
      ['1.2.3.4/33', false],
      ['1.2.3.4/x', false],
      ['1.2.3.4/', false],
      ['host', false],
    ];
    for (const [id, valid] of cases) assert.equal(isValidAclId('ip', id), valid, id);
    assert.equal(isValidAclId('ip', '2001:db8::/32'), true);
    assert.equal(isValidAclId('ip', '2001:db8::/129'), false);
  });

  it('schemes without a provider are never valid', () => {
    for (const scheme of ['world', 'auth', 'super', 'sasl', 'x509']) assert.equal(isValidAclId(scheme, 'anyone'), false, scheme);
    assert.equal(isValidAclId('x509', 'CN=a', { x509: true }), true);
  });
});

describe('fixupACL', () => {
  const digest: AuthId = { scheme: 'digest', id: 'u:h' };

  it('rejects null and empty lists', () => {
    assert.deepEqual(fixupACL(null, [IP]), { ok: false, err: ErrorCode.INVALIDACL });
    assert.deepEqual(fixupACL([], [IP]), { ok: false, err: ErrorCode.INVALIDACL });
  });

  it('keeps world:anyone and valid ids, whatever the perms', () => {
    const list = [acl(0, 'world', 'anyone'), acl(99, 'ip', '10.0.0.0/8'), acl(Perms.read, 'digest', 'x:y')];
    assert.deepEqual(fixupACL(list, [IP]), { ok: true, acl: list });
  });

  it('drops exact duplicates before expanding auth, and keeps those expansion creates', () => {
    // Same input as run through ZooKeeper 3.8.0's PrepRequestProcessor.fixupACL.
    const list = [
      acl(Perms.all, 'auth', 'whatever'),
      acl(Perms.read, 'digest', 'u:h'),
      acl(Perms.read, 'digest', 'u:h'),
      acl(0, 'world', 'anyone'),
      acl(99, 'ip', '10.0.0.0/8'),
    ];
    const result = fixupACL(list, [IP, digest, { scheme: 'super', id: '' }]);
    assert.deepEqual(result, {
      ok: true,
      acl: [acl(Perms.all, 'digest', 'u:h'), acl(Perms.read, 'digest', 'u:h'), acl(0, 'world', 'anyone'), acl(99, 'ip', '10.0.0.0/8')],
    });
    const dup = fixupACL([acl(Perms.read, 'auth', ''), acl(Perms.read, 'digest', 'u:h')], [IP, digest]);
    assert.deepEqual(dup, { ok: true, acl: [acl(Perms.read, 'digest', 'u:h'), acl(Perms.read, 'digest', 'u:h')] });
  });

  it('expands auth to digest and x509 ids, not ip or super', () => {
    const x509: AuthId = { scheme: 'x509', id: 'CN=a' };
    const other: AuthId = { scheme: 'digest', id: 'v:k' };
    assert.deepEqual(fixupACL([acl(Perms.read, 'auth', '')], [IP, digest, other, x509], { x509: true }), {
      ok: true,
      acl: [acl(Perms.read, 'digest', 'u:h'), acl(Perms.read, 'digest', 'v:k'), acl(Perms.read, 'x509', 'CN=a')],
    });
    assert.deepEqual(fixupACL([acl(Perms.all, 'auth', '')], [IP, { scheme: 'super', id: '' }]), {
      ok: false,
      err: ErrorCode.INVALIDACL,
    });
  });

  it('rejects entries no provider accepts', () => {
    const bad = [
      acl(Perms.all, 'world', 'someone'),
      acl(Perms.all, 'super', ''),
      acl(Perms.all, 'x509', 'CN=a'),
      acl(Perms.all, 'sasl', 'bob'),
      acl(Perms.all, 'digest', 'nohash'),
      acl(Perms.all, 'ip', '10.0.0.0/40'),
      acl(Perms.all, 'ip', 'localhost'),
    ];
    for (const entry of bad) {
      assert.deepEqual(fixupACL([WORLD_ALL, entry], [IP, digest]), { ok: false, err: ErrorCode.INVALIDACL }, JSON.stringify(entry));
    }
  });

  it('does not alias the input', () => {
    const list = [acl(Perms.all, 'digest', 'a:b')];
    const result = fixupACL(list, [IP]);
    assert.ok(result.ok);
    result.acl[0].id.id = 'changed';
    assert.equal(list[0].id.id, 'a:b');
  });
});

describe('checkACL', () => {
  const alice = { scheme: 'digest', id: digestId('alice:secret') };

  it('allows everything on an empty ACL', () => {
    assert.equal(checkACL([], Perms.admin, []), true);
  });

  it('allows everything to super', () => {
    const list = [acl(Perms.read, 'digest', 'other:x')];
    assert.equal(checkACL(list, Perms.delete, [IP, { scheme: 'super', id: '' }]), true);
    assert.equal(checkACL(list, Perms.delete, [IP]), false);
  });

  it('needs an entry sharing a perm bit', () => {
    const list = [acl(Perms.read | Perms.write, 'world', 'anyone')];
    assert.equal(checkACL(list, Perms.read, [IP]), true);
    assert.equal(checkACL(list, Perms.write, [IP]), true);
    assert.equal(checkACL(list, Perms.create, [IP]), false);
    // getACL asks for READ|ADMIN: either bit is enough.
    assert.equal(checkACL(list, Perms.read | Perms.admin, [IP]), true);
    assert.equal(checkACL([acl(Perms.admin, 'world', 'anyone')], Perms.read | Perms.admin, [IP]), true);
  });

  it('matches digest ids exactly', () => {
    const list = [acl(Perms.all, 'digest', alice.id)];
    assert.equal(checkACL(list, Perms.read, [IP, alice]), true);
    assert.equal(checkACL(list, Perms.read, [IP, { scheme: 'digest', id: digestId('alice:wrong') }]), false);
    // The scheme must agree too.
    assert.equal(checkACL(list, Perms.read, [{ scheme: 'x509', id: alice.id }], { x509: true }), false);
  });

  it('matches ip entries by prefix', () => {
    const list = [acl(Perms.read, 'ip', '10.0.0.0/8'), acl(Perms.write, 'ip', '192.168.1.5')];
    const inside = [{ scheme: 'ip', id: '10.20.30.40' }];
    const host = [{ scheme: 'ip', id: '192.168.1.5' }];
    assert.equal(checkACL(list, Perms.read, inside), true);
    assert.equal(checkACL(list, Perms.write, inside), false);
    assert.equal(checkACL(list, Perms.write, host), true);
    assert.equal(checkACL(list, Perms.read, host), false);
    assert.equal(checkACL([acl(Perms.read, 'ip', '::1')], Perms.read, [{ scheme: 'ip', id: '0:0:0:0:0:0:0:1' }]), true);
    assert.equal(
      checkACL([acl(Perms.read, 'ip', '::1')], Perms.read, [{ scheme: 'ip', id: '0:0:0:0:0:0:0:1' }], { ipv6: false }),
      false,
    );
  });

  it('never matches entries without a provider', () => {
    assert.equal(checkACL([acl(Perms.all, 'world', 'someone')], Perms.read, [{ scheme: 'world', id: 'someone' }]), false);
    assert.equal(checkACL([acl(Perms.all, 'sasl', 'bob')], Perms.read, [{ scheme: 'sasl', id: 'bob' }]), false);
    assert.equal(checkACL([acl(Perms.all, 'x509', 'CN=a')], Perms.read, [{ scheme: 'x509', id: 'CN=a' }]), false);
    assert.equal(
      checkACL([acl(Perms.all, 'x509', 'CN=a')], Perms.read, [{ scheme: 'x509', id: 'CN=a' }], { x509: true }),
      true,
    );
  });

  it('lets the x509 super user match any x509 entry', () => {
    const options = { x509: true, x509SuperUser: 'CN=root' };
    assert.equal(checkACL([acl(Perms.read, 'x509', 'CN=a')], Perms.read, [{ scheme: 'x509', id: 'CN=root' }], options), true);
    assert.equal(checkACL([acl(Perms.read, 'x509', 'CN=a')], Perms.read, [{ scheme: 'x509', id: 'CN=b' }], options), false);
  });
});

describe('maskDigests', () => {
  it('hides digest hashes only', () => {
    const list = [
      acl(Perms.all, 'digest', 'alice:D/InIHSb7yEEbrWz8b9l71RjZJU='),
      acl(Perms.read, 'world', 'anyone'),
      acl(Perms.read, 'ip', '10.0.0.0/8'),
      acl(Perms.read, 'x509', 'CN=a:b'),
    ];
    assert.deepEqual(maskDigests(list), [
      acl(Perms.all, 'digest', 'alice:x'),
      acl(Perms.read, 'world', 'anyone'),
      acl(Perms.read, 'ip', '10.0.0.0/8'),
      acl(Perms.read, 'x509', 'CN=a:b'),
    ]);
    assert.equal(list[0].id.id, 'alice:D/InIHSb7yEEbrWz8b9l71RjZJU=');
  });

  it('follows Java replaceAll(":.*", ":x") on odd ids', () => {
    // Expectations from Java 17 String.replaceAll.
    const cases: ReadonlyArray<readonly [string, string]> = [
      ['nocolon', 'nocolon'],
      [':', ':x'],
      ['a:', 'a:x'],
      ['a:b:c', 'a:x'],
      ['a:b\nc:d', 'a:x\nc:x'],
      ['a:b\u0085c', 'a:x\u0085c'],
      ['a:b\u2028c:d', 'a:x\u2028c:x'],
    ];
    for (const [id, masked] of cases) {
      assert.equal(maskDigests([acl(1, 'digest', id)])[0].id.id, masked, JSON.stringify(id));
    }
  });
});
