#!/usr/bin/env python3
"""Kazoo container and TTL node interop script.

Usage: extended.py <connection string>

Kazoo 2.8 has no API for container and TTL nodes, so this script sends
ZooKeeper's createContainer (19) and createTTL (21) requests through Kazoo's
connection with two small request classes. It needs a server whose
container check runs often (ZooKeeper: -Dznode.container.checkIntervalMs,
Herd: containerCheckInterval) and extended types enabled. Checks: stats of
the new nodes, argument errors, that a container goes once its last child
is deleted but not before it had one, that TTL nodes go once idle longer
than their ttl but not while they have children, and the watch events and
zxids of those deletions. Prints a JSON transcript; exits non-zero on any
unexpected result.
"""
import json
import queue
import sys
import time
import traceback

from kazoo.client import KazooClient
from kazoo.exceptions import KazooException
from kazoo.protocol.serialization import Create2, int_struct, long_struct
from kazoo.security import OPEN_ACL_UNSAFE

HOSTS = sys.argv[1]
ROOT = '/kazoo-extended'
transcript = []
zxid_base = [0]
started_ms = int(time.time() * 1000)


class CreateContainer(Create2):
    type = 19


class CreateTTL(Create2):
    type = 21

    def __new__(cls, path, data, acl, flags, ttl):
        self = super().__new__(cls, path, data, acl, flags)
        self.ttl = ttl
        return self

    def serialize(self):
        return super().serialize() + long_struct.pack(self.ttl)


CONTAINER = 4
PERSISTENT_WITH_TTL = 5
PERSISTENT_SEQUENTIAL_WITH_TTL = 6


def rec(step, value):
    transcript.append([step, value])
    return value


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def st(stat):
    if stat is None:
        return None
    return {
        'czxid': stat.czxid - zxid_base[0],
        'mzxid': stat.mzxid - zxid_base[0],
        'pzxid': stat.pzxid - zxid_base[0],
        'ctime_ok': stat.ctime >= started_ms - 5000,
        'version': stat.version,
        'cversion': stat.cversion,
        'aversion': stat.aversion,
        'ephemeralOwner': stat.ephemeralOwner,
        'dataLength': stat.dataLength,
        'numChildren': stat.numChildren,
    }


def call(zk, request):
    result = zk.handler.async_result()
    zk._call(request, result)
    return result.get(timeout=10)


def err(fn, *args):
    try:
        res = fn(*args)
    except KazooException as e:
        return type(e).__name__
    raise AssertionError('expected an error, got %r' % (res,))


def wait_q(q, what, timeout=10.0):
    try:
        return q.get(timeout=timeout)
    except queue.Empty:
        raise AssertionError('timed out waiting for ' + what)


def main():
    zk = KazooClient(hosts=HOSTS, timeout=10.0)
    zk.start(timeout=15)
    if zk.exists(ROOT):
        zk.delete(ROOT, recursive=True)
    zxid_base[0] = zk.create(ROOT, b'', include_data=True)[1].czxid
    events = queue.Queue()

    def watch(ev):
        events.put([ev.type, ev.path])

    # -- argument errors (never a negative ttl: Debian's 3.8.0 exits on it) --
    rec('ttl 0', err(call, zk, CreateTTL(ROOT + '/t0', b'', OPEN_ACL_UNSAFE, PERSISTENT_WITH_TTL, 0)))
    rec('ttl too large', err(call, zk, CreateTTL(ROOT + '/tbig', b'', OPEN_ACL_UNSAFE,
                                                 PERSISTENT_WITH_TTL, 1 << 40)))
    rec('ttl with a persistent mode', err(call, zk, CreateTTL(ROOT + '/tp', b'', OPEN_ACL_UNSAFE, 0, 1000)))
    rec('ttl with an ephemeral mode', err(call, zk, CreateTTL(ROOT + '/te', b'', OPEN_ACL_UNSAFE, 1, 1000)))
    rec('ttl without parent', err(call, zk, CreateTTL(ROOT + '/no/t', b'', OPEN_ACL_UNSAFE,
                                                      PERSISTENT_WITH_TTL, 1000)))
    rec('container without parent', err(call, zk, CreateContainer(ROOT + '/no/c', b'', OPEN_ACL_UNSAFE,
                                                                  CONTAINER)))

    # -- containers -------------------------------------------------------------
    path, stat = call(zk, CreateContainer(ROOT + '/c', b'box', OPEN_ACL_UNSAFE, CONTAINER))
    rec('container created', [path, st(stat)])
    rec('container exists', st(zk.exists(ROOT + '/c')))
    zk.create(ROOT + '/c/child', b'')
    rec('container child created', st(zk.exists(ROOT + '/c')))
    never_used = call(zk, CreateContainer(ROOT + '/unused', b'', OPEN_ACL_UNSAFE, CONTAINER))[0]
    zk.exists(ROOT + '/c', watch=watch)
    zk.get_children(ROOT, watch=watch)
    zk.delete(ROOT + '/c/child')
    # the container check deletes the now empty container
    rec('container deleted', [wait_q(events, 'container deleted'), wait_q(events, 'root children event')])
    rec('container gone', zk.exists(ROOT + '/c'))

    # -- TTL nodes --------------------------------------------------------------
    t0 = time.time()
    path, stat = call(zk, CreateTTL(ROOT + '/t', b'ttl', OPEN_ACL_UNSAFE, PERSISTENT_WITH_TTL, 500))
    rec('ttl node created', [path, st(stat)])
    seq, _ = call(zk, CreateTTL(ROOT + '/s-', b'', OPEN_ACL_UNSAFE, PERSISTENT_SEQUENTIAL_WITH_TTL, 500))
    rec('ttl sequential node', seq)
    call(zk, CreateTTL(ROOT + '/busy', b'', OPEN_ACL_UNSAFE, PERSISTENT_WITH_TTL, 300))
    zk.create(ROOT + '/busy/child', b'')
    zk.exists(ROOT + '/t', watch=watch)
    zk.exists(ROOT + '/' + seq.rsplit('/', 1)[1], watch=watch)
    gone = sorted([wait_q(events, 'ttl node deleted'), wait_q(events, 'ttl sequential deleted')])
    elapsed = time.time() - t0
    expect(elapsed >= 0.5, 'TTL node deleted after only %.2fs' % elapsed)
    rec('ttl nodes deleted', gone)
    rec('ttl node with a child kept', zk.exists(ROOT + '/busy') is not None)
    rec('never-used container kept', zk.exists(never_used) is not None)

    # a TTL node's clock restarts on every change
    call(zk, CreateTTL(ROOT + '/touched', b'', OPEN_ACL_UNSAFE, PERSISTENT_WITH_TTL, 1500))
    for i in range(3):
        time.sleep(0.3)
        zk.set(ROOT + '/touched', str(i).encode())
    rec('touched ttl node kept', zk.exists(ROOT + '/touched').version)
    zk.exists(ROOT + '/touched', watch=watch)
    rec('touched ttl node deleted once idle', wait_q(events, 'touched deleted'))

    # the root's children: what is left, and how many changes it saw
    rec('root after', [sorted(zk.get_children(ROOT)), st(zk.exists(ROOT))])
    zk.delete(ROOT, recursive=True)
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
