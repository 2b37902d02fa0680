#!/usr/bin/env python3
"""Kazoo session interop script.

Usage: session.py <connection string>

One KazooClient talks to the server through a small TCP proxy in this
script, so that its connection can be cut and restored: the session resumes
(same id, ephemerals kept, watchers re-armed and caught up), a session whose
connection stays away longer than its timeout expires (ephemerals gone, the
client sees LOST and starts a new session), and a client presenting a wrong
password for a live session is told it expired. Prints a JSON transcript;
exits non-zero on any unexpected result.
"""
import json
import queue
import socket
import sys
import threading
import time
import traceback

from kazoo.client import KazooClient
from kazoo.protocol.states import KazooState

HOSTS = sys.argv[1]
ROOT = '/kazoo-session'
transcript = []


def rec(step, value):
    transcript.append([step, value])
    return value


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def wait_until(cond, what, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.02)
    raise AssertionError('timed out waiting for ' + what)


def wait_q(q, what, timeout=5.0):
    try:
        return q.get(timeout=timeout)
    except queue.Empty:
        raise AssertionError('timed out waiting for ' + what)


class Proxy:
    """Forwards 127.0.0.1:<port> to the server; cut() drops every connection
    and keeps refusing new ones until resume()."""

    def __init__(self, target):
        host, port = target.split(',')[0].rsplit(':', 1)
        self.target = (host, int(port))
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(('127.0.0.1', 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.conns = []
        self.paused = False
        self.accepted = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                if self.paused:
                    client.close()
                    continue
                self.accepted += 1
                try:
                    upstream = socket.create_connection(self.target)
                except OSError:
                    client.close()
                    continue
                self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        with self.lock:
            self.paused = True
            for s in self.conns:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self.conns = []

    def resume(self):
        with self.lock:
            self.paused = False

    def close(self):
        self.cut()
        self.listener.close()


def main():
    proxy = Proxy(HOSTS)
    direct = KazooClient(hosts=HOSTS, timeout=10.0)
    direct.start(timeout=15)
    direct.add_auth('digest', 'carol:pw')  # to clean up after an earlier failed run
    if direct.exists(ROOT):
        direct.delete(ROOT, recursive=True)
    direct.create(ROOT + '/data', b'd0', makepath=True)

    # 4 s is the server's minimum (2 x tickTime): the expiry below waits for it.
    zk = KazooClient(hosts='127.0.0.1:%d' % proxy.port, timeout=4.0)
    states = []
    state_q = queue.Queue()

    def listener(state):
        states.append(state)
        state_q.put(state)

    zk.add_listener(listener)
    zk.start(timeout=15)
    rec('state after start', wait_q(state_q, 'CONNECTED'))
    first_session = zk.client_id[0]
    rec('negotiated timeout', zk._session_timeout)
    zk.create(ROOT + '/eph', b'mine', ephemeral=True)
    zk.add_auth('digest', 'carol:pw')

    dq = queue.Queue()
    cq = queue.Queue()

    @zk.DataWatch(ROOT + '/data')
    def data_watch(data, stat, event):
        dq.put([None if data is None else data.decode(), None if stat is None else stat.version])

    @zk.ChildrenWatch(ROOT)
    def children_watch(children):
        cq.put(sorted(children))

    rec('initial data', wait_q(dq, 'initial data'))
    rec('initial children', wait_q(cq, 'initial children'))

    # -- a short disconnection: the session resumes -----------------------------
    proxy.cut()
    rec('state after cut', wait_q(state_q, 'SUSPENDED'))
    direct.set(ROOT + '/data', b'd1')
    direct.create(ROOT + '/while-away', b'')
    rec('eph kept while disconnected', direct.exists(ROOT + '/eph').ephemeralOwner == first_session)
    proxy.resume()
    rec('state after resume', wait_q(state_q, 'CONNECTED', timeout=10))
    rec('same session after resume', zk.client_id[0] == first_session)
    rec('data watch caught up', wait_q(dq, 'data after resume'))
    rec('children watch caught up', wait_q(cq, 'children after resume'))
    rec('eph after resume', [zk.get(ROOT + '/eph')[0].decode(),
                             zk.exists(ROOT + '/eph').ephemeralOwner == first_session])
    # the auth added before the cut is sent again on the resumed connection
    rec('auth survives reconnect', zk.create(ROOT + '/authed', b'', acl=[
        __import__('kazoo.security', fromlist=['make_acl']).make_acl('auth', '', all=True)]))
    rec('authed acl', [[a.perms, a.id.scheme, a.id.id] for a in zk.get_acls(ROOT + '/authed')[0]])
    direct.set(ROOT + '/data', b'd2')
    rec('data watch after resume', wait_q(dq, 'data d2'))

    # -- a long disconnection: the session expires ------------------------------
    proxy.cut()
    rec('state after second cut', wait_q(state_q, 'SUSPENDED'))
    t0 = time.time()
    wait_until(lambda: direct.exists(ROOT + '/eph') is None, 'the ephemeral to go at expiry', timeout=15)
    expired_after = time.time() - t0
    expect(expired_after > 3.0, 'session expired after only %.1fs' % expired_after)
    print('expired after %.2fs' % expired_after, file=sys.stderr)
    rec('children after expiry (direct)', sorted(direct.get_children(ROOT)))
    direct.set(ROOT + '/data', b'd3')
    proxy.resume()
    rec('state after expiry', wait_q(state_q, 'LOST', timeout=10))
    rec('state after new session', wait_q(state_q, 'CONNECTED', timeout=10))
    rec('new session id', zk.client_id[0] != first_session)
    rec('eph gone', zk.exists(ROOT + '/eph'))
    # Kazoo re-arms its recipes' watches on the new session
    events = []
    try:
        while True:
            events.append(dq.get(timeout=1.0))
    except queue.Empty:
        pass
    rec('data watch after new session', events[-1:] if events else events)
    direct.set(ROOT + '/data', b'd4')
    rec('data watch on new session', wait_q(dq, 'data d4'))
    # Kazoo keeps its auth data and sends it again on the new session
    rec('auth sent again on the new session', _err(lambda: zk.set(ROOT + '/authed', b'x')) is None)

    # -- a wrong password for a live session -----------------------------------
    sid, passwd = direct.client_id
    # The server answers the resume attempt with an expired session (timeout 0);
    # Kazoo then drops the session id and starts a new session.
    bad = KazooClient(hosts=HOSTS, timeout=4.0, client_id=(sid, b'\x00' * 16))
    bad.start(timeout=10)
    rec('wrong password: a new session instead', bad.client_id[0] != sid)
    rec('wrong password: new session works', bad.get(ROOT + '/data')[0].decode())
    bad.stop()
    bad.close()
    rec('direct session unaffected', direct.get(ROOT + '/data')[0].decode())

    zk.delete(ROOT + '/authed')
    rec('all states', states)
    zk.stop()
    zk.close()
    proxy.close()
    direct.delete(ROOT, recursive=True)
    direct.stop()
    direct.close()


def _err(fn):
    try:
        fn()
    except Exception as e:  # noqa: B902
        return e
    return None


if __name__ == '__main__':
    try:
        main()
        out = json.dumps(transcript, indent=1)
    except BaseException:
        traceback.print_exc()
        print(json.dumps(transcript, indent=1, default=repr))
        sys.exit(1)
    print(out)
