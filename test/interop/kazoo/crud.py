#!/usr/bin/env python3
"""Kazoo CRUD interop script.

Usage: crud.py <connection string>

Drives one ZooKeeper-compatible server through Kazoo's plain API (paths,
sequential/ephemeral nodes, versions, children with data, recursive delete,
transactions, digest ACLs, DataWatch/ChildrenWatch) and prints a JSON
transcript on stdout. The transcript is made independent of things that
legitimately differ between two fresh servers: zxids are relative to the
script's first create, times are reduced to facts about them, session ids
are named ("self", "other", 0). Exits non-zero on any unexpected result.
"""
import json
import queue
import sys
import time
import traceback

from kazoo.client import KazooClient
from kazoo.exceptions import KazooException
from kazoo.security import make_acl, make_digest_acl, OPEN_ACL_UNSAFE

HOSTS = sys.argv[1]
ROOT = '/kazoo-crud'
transcript = []
sessions = {}
zxid_base = [None]
started_ms = int(time.time() * 1000)


def rec(step, value):
    transcript.append([step, value])
    return value


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def session_name(owner):
    if owner == 0:
        return 0
    for name, sid in sessions.items():
        if sid == owner:
            return name
    return 'unknown'


def zx(z):
    return z - zxid_base[0]


def st(stat):
    """A Stat as comparable JSON."""
    if stat is None:
        return None
    now_ms = int(time.time() * 1000)
    return {
        'czxid': zx(stat.czxid),
        'mzxid': zx(stat.mzxid),
        'pzxid': zx(stat.pzxid),
        'ctime_ok': started_ms - 5000 <= stat.ctime <= now_ms + 5000,
        'mtime_ok': stat.ctime <= stat.mtime <= now_ms + 5000,
        'mtime_eq_ctime': stat.mtime == stat.ctime,
        'version': stat.version,
        'cversion': stat.cversion,
        'aversion': stat.aversion,
        'ephemeralOwner': session_name(stat.ephemeralOwner),
        'dataLength': stat.dataLength,
        'numChildren': stat.numChildren,
    }


def err(fn, *args, **kwargs):
    """Runs fn, expecting a Kazoo error; returns the error's class name."""
    try:
        res = fn(*args, **kwargs)
    except KazooException as e:
        return type(e).__name__
    raise AssertionError('expected an error from %s%r, got %r' % (fn.__name__, args, res))


def tx_result(r):
    if isinstance(r, Exception):
        return type(r).__name__
    if hasattr(r, 'czxid'):
        return st(r)
    if isinstance(r, tuple):  # (path, stat)
        return [r[0], st(r[1])]
    return r


def acls(lst):
    return sorted([[a.perms, a.id.scheme, a.id.id] for a in lst])


def client():
    c = KazooClient(hosts=HOSTS, timeout=10.0)
    c.start(timeout=15)
    return c


def wait_q(q, what, timeout=5.0):
    try:
        return q.get(timeout=timeout)
    except queue.Empty:
        raise AssertionError('timed out waiting for ' + what)


def expect_quiet(q, what, delay=0.2):
    time.sleep(delay)
    expect(q.empty(), 'unexpected ' + what + ': ' + repr(list(q.queue)))


def main():
    zk = client()
    sessions['self'] = zk.client_id[0]
    other = client()
    sessions['other'] = other.client_id[0]

    # -- paths, create, get/set with versions ---------------------------------
    if zk.exists(ROOT):  # left over by an earlier failed run
        cleaner = client()
        cleaner.add_auth('digest', 'alice:secret')
        cleaner.delete(ROOT, recursive=True)
        cleaner.stop()
        cleaner.close()
    path, stat = zk.create(ROOT, b'root', include_data=True)
    zxid_base[0] = stat.czxid
    rec('create root include_data', [path, st(stat)])
    rec('ensure_path', zk.ensure_path(ROOT + '/a/b/c'))
    rec('ensure_path existing', zk.ensure_path(ROOT + '/a/b/c'))
    rec('exists a/b/c', st(zk.exists(ROOT + '/a/b/c')))
    rec('exists missing', zk.exists(ROOT + '/missing'))
    rec('create makepath', zk.create(ROOT + '/m/n/o', b'deep', makepath=True))
    rec('stat m', st(zk.exists(ROOT + '/m')))
    rec('create existing', err(zk.create, ROOT + '/m/n/o', b'again'))
    rec('create without parent', err(zk.create, ROOT + '/nope/child', b''))

    data, stat = zk.get(ROOT)
    rec('get root', [data.decode(), st(stat)])
    stat = zk.set(ROOT, b'root-v1', version=0)
    rec('set version 0', st(stat))
    rec('set stale version', err(zk.set, ROOT, b'x', version=0))
    stat = zk.set(ROOT, b'root-v2')
    rec('set any version', st(stat))
    data, stat = zk.get(ROOT)
    rec('get after sets', [data.decode(), st(stat)])
    rec('set missing', err(zk.set, ROOT + '/missing', b'x'))
    rec('get missing', err(zk.get, ROOT + '/missing'))
    big = b'x' * (1024 * 1024 + 1)
    rec('set too large', err(zk.set, ROOT, big))
    rec('empty data', st(zk.set(ROOT + '/a', b'')))
    rec('get empty', list(map(lambda v: v if not isinstance(v, bytes) else v.decode(), [zk.get(ROOT + '/a')[0]])))

    # -- sequential nodes ------------------------------------------------------
    zk.create(ROOT + '/seq')
    seqs = [zk.create(ROOT + '/seq/n-', str(i).encode(), sequence=True) for i in range(3)]
    rec('sequential', seqs)
    zk.delete(seqs[1])
    rec('sequential after delete', zk.create(ROOT + '/seq/n-', b'3', sequence=True))
    rec('sequential other prefix', zk.create(ROOT + '/seq/m-', b'4', sequence=True))
    rec('sequential no prefix', zk.create(ROOT + '/seq/', b'5', sequence=True))
    rec('seq parent stat', st(zk.exists(ROOT + '/seq')))

    # -- ephemeral nodes -------------------------------------------------------
    zk.create(ROOT + '/eph')
    p, stat = other.create(ROOT + '/eph/e1', b'mine', ephemeral=True, include_data=True)
    rec('ephemeral create', [p, st(stat)])
    rec('ephemeral sequential',
        other.create(ROOT + '/eph/es-', b'', ephemeral=True, sequence=True))
    rec('child of ephemeral', err(zk.create, ROOT + '/eph/e1/child', b''))
    rec('own ephemeral', zk.create(ROOT + '/eph/e2', b'', ephemeral=True))
    rec('ephemeral owner as seen by self', st(zk.exists(ROOT + '/eph/e1')))
    rec('children before close', sorted(zk.get_children(ROOT + '/eph')))
    other.stop()
    other.close()
    rec('children after other closed', sorted(zk.get_children(ROOT + '/eph')))
    rec('eph parent stat', st(zk.exists(ROOT + '/eph')))

    # -- children with data ----------------------------------------------------
    for name in ['c1', 'c2', 'c3']:
        zk.create(ROOT + '/kids/' + name, name.encode(), makepath=True)
    children, stat = zk.get_children(ROOT + '/kids', include_data=True)
    rec('get_children include_data', [sorted(children), st(stat)])
    rec('get_children missing', err(zk.get_children, ROOT + '/nokids'))
    rec('delete non-empty', err(zk.delete, ROOT + '/kids'))
    rec('delete bad version', err(zk.delete, ROOT + '/kids/c1', version=5))
    rec('delete version 0', zk.delete(ROOT + '/kids/c1', version=0))
    rec('delete missing', err(zk.delete, ROOT + '/kids/c1'))
    children, stat = zk.get_children(ROOT + '/kids', include_data=True)
    rec('after delete', [sorted(children), st(stat)])
    rec('delete recursive', zk.delete(ROOT + '/m', recursive=True))
    rec('gone after recursive delete', zk.exists(ROOT + '/m'))
    rec('root children', sorted(zk.get_children(ROOT)))
    rec('sync', zk.sync(ROOT))

    # -- transactions ----------------------------------------------------------
    t = zk.transaction()
    t.create(ROOT + '/tx', b'tx')
    t.create(ROOT + '/tx/a', b'a')
    t.create(ROOT + '/tx/s-', b's', sequence=True)
    t.set_data(ROOT + '/tx', b'tx2', version=0)
    t.check(ROOT + '/tx/a', 0)
    t.delete(ROOT + '/kids/c2')
    rec('transaction commit', [tx_result(r) for r in t.commit()])
    rec('tx node', st(zk.exists(ROOT + '/tx')))
    t = zk.transaction()
    t.create(ROOT + '/tx/b', b'b')
    t.set_data(ROOT + '/tx/a', b'a2', version=7)
    t.delete(ROOT + '/tx/a')
    rec('transaction failure', [tx_result(r) for r in t.commit()])
    rec('failed tx left nothing', [zk.exists(ROOT + '/tx/b'), st(zk.exists(ROOT + '/tx/a'))])
    t = zk.transaction()
    t.check(ROOT + '/tx/a', 0)
    t.create(ROOT + '/tx/a', b'dup')
    rec('transaction node exists', [tx_result(r) for r in t.commit()])
    t = zk.transaction()
    t.create(ROOT + '/tx/c', b'c')
    t.check(ROOT + '/tx/missing', -1)
    rec('transaction check missing', [tx_result(r) for r in t.commit()])
    t = zk.transaction()
    t.delete(ROOT + '/tx/a', version=0)
    t.delete(ROOT + '/tx/s-0000000001')
    t.delete(ROOT + '/tx')
    rec('transaction delete all', [tx_result(r) for r in t.commit()])
    rec('tx gone', zk.exists(ROOT + '/tx'))

    # -- digest ACL ------------------------------------------------------------
    alice = make_digest_acl('alice', 'secret', all=True)
    rec('digest acl id', alice.id.id)
    zk.create(ROOT + '/secure', b'hidden', acl=[alice])
    anon = client()
    sessions['anon'] = anon.client_id[0]
    rec('anon get', err(anon.get, ROOT + '/secure'))
    rec('anon set', err(anon.set, ROOT + '/secure', b'x'))
    rec('anon create child', err(anon.create, ROOT + '/secure/child', b''))
    rec('anon get_children', err(anon.get_children, ROOT + '/secure'))
    rec('anon get_acls', err(anon.get_acls, ROOT + '/secure'))
    anon.add_auth('digest', 'bob:wrong')
    rec('wrong user get', err(anon.get, ROOT + '/secure'))
    anon.add_auth('digest', 'alice:secret')
    data, stat = anon.get(ROOT + '/secure')
    rec('authorized get', [data.decode(), st(stat)])
    rec('authorized create child', anon.create(ROOT + '/secure/child', b'c', acl=[alice]))
    lst, stat = anon.get_acls(ROOT + '/secure')
    rec('authorized get_acls', [acls(lst), st(stat)])
    # read for everyone, everything for alice: getACL without ADMIN masks digests
    mixed = [make_acl('world', 'anyone', read=True), alice]
    rec('set_acls', st(anon.set_acls(ROOT + '/secure', mixed, version=0)))
    rec('set_acls stale version', err(anon.set_acls, ROOT + '/secure', mixed, version=0))
    rec('creator without auth after set_acls', zk.get(ROOT + '/secure')[0].decode())
    lst, stat = zk.get_acls(ROOT + '/secure')
    rec('read-only get_acls', [acls(lst), st(stat)])
    rec('read-only set', err(zk.set, ROOT + '/secure', b'nope'))
    rec('auth acl without auth', err(zk.create, ROOT + '/authacl', b'',
                                     acl=[make_acl('auth', '', all=True)]))
    rec('auth acl with auth',
        anon.create(ROOT + '/authacl', b'', acl=[make_acl('auth', '', all=True)]))
    # in the order of the session's auth ids as ZooKeeper keeps them (a hash set)
    rec('auth acl expanded',
        [[a.perms, a.id.scheme, a.id.id] for a in anon.get_acls(ROOT + '/authacl')[0]])
    rec('anon delete child', err(zk.delete, ROOT + '/secure/child'))
    rec('authorized delete recursive', anon.delete(ROOT + '/secure', recursive=True))
    anon.delete(ROOT + '/authacl')
    anon.stop()
    anon.close()
    lst, stat = zk.get_acls(ROOT)
    rec('open acl', [acls(lst), acls(OPEN_ACL_UNSAFE)])

    # -- DataWatch / ChildrenWatch ---------------------------------------------
    wpath = ROOT + '/watched'
    dq = queue.Queue()

    @zk.DataWatch(wpath)
    def data_watch(data, stat, event):
        dq.put([None if data is None else data.decode(),
                None if stat is None else stat.version,
                None if event is None else event.type])

    rec('datawatch initial (missing)', wait_q(dq, 'initial data watch'))
    zk.create(wpath, b'v0')
    rec('datawatch created', wait_q(dq, 'created'))
    zk.set(wpath, b'v1')
    rec('datawatch changed', wait_q(dq, 'changed'))
    zk.set(wpath, b'v2')
    rec('datawatch changed again', wait_q(dq, 'changed again'))

    cq = queue.Queue()

    @zk.ChildrenWatch(wpath, send_event=True)
    def children_watch(children, event):
        cq.put([sorted(children), None if event is None else event.type])

    rec('childrenwatch initial', wait_q(cq, 'initial children'))
    zk.create(wpath + '/x', b'')
    rec('childrenwatch created', wait_q(cq, 'child created'))
    zk.set(wpath + '/x', b'data')
    expect_quiet(cq, 'children event on child data change')
    zk.create(wpath + '/y', b'', ephemeral=True)
    rec('childrenwatch created ephemeral', wait_q(cq, 'ephemeral child'))
    zk.delete(wpath + '/x')
    rec('childrenwatch deleted', wait_q(cq, 'child deleted'))
    expect_quiet(dq, 'data event on children change', delay=0)

    # a plain one-shot watch fires once only
    wq = queue.Queue()
    zk.get(wpath, watch=lambda ev: wq.put([ev.type, ev.state, ev.path]))
    zk.set(wpath, b'v3')
    rec('one-shot get watch', wait_q(wq, 'one-shot watch'))
    rec('datawatch v3', wait_q(dq, 'v3'))
    zk.set(wpath, b'v4')
    rec('datawatch v4', wait_q(dq, 'v4'))
    expect_quiet(wq, 'second one-shot event')
    zk.exists(ROOT + '/later', watch=lambda ev: wq.put([ev.type, ev.state, ev.path]))
    zk.create(ROOT + '/later', b'')
    rec('exists watch on missing node', wait_q(wq, 'exists watch'))
    zk.get_children(ROOT + '/later', watch=lambda ev: wq.put([ev.type, ev.state, ev.path]))
    zk.delete(ROOT + '/later')
    rec('child watch on delete', wait_q(wq, 'child watch deleted'))

    zk.delete(wpath + '/y')
    rec('childrenwatch last child deleted', wait_q(cq, 'last child deleted'))
    zk.delete(wpath)
    rec('datawatch deleted', wait_q(dq, 'deleted'))
    # Kazoo's ChildrenWatch stops quietly when its node goes (its re-read gets NoNode)
    expect_quiet(cq, 'children event after the node was deleted')

    # -- clean up --------------------------------------------------------------
    zk.delete(ROOT, recursive=True)
    rec('root gone', zk.exists(ROOT))
    zk.stop()
    zk.close()


if __name__ == '__main__':
    try:
        main()
        out = json.dumps(transcript, indent=1)
    except BaseException:
        traceback.print_exc()
        print(json.dumps(transcript, indent=1, default=repr))
        sys.exit(1)
    print(out)
