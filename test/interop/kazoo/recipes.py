#!/usr/bin/env python3
"""Kazoo recipes interop script.

Usage: recipes.py <connection string>

Several KazooClient instances in one process (one per thread) contend on
Kazoo's recipes: Lock (mutual exclusion checked with a shared holder set),
Semaphore, Election (one leader at a time, handover on resignation and on
session close), Party/ShallowParty, Counter, Barrier, DoubleBarrier,
Queue and LockingQueue. Prints a JSON transcript of facts that do not depend
on thread scheduling; exits non-zero on any violated expectation.
"""
import json
import sys
import threading
import time
import traceback

from kazoo.client import KazooClient
from kazoo.exceptions import ConnectionClosedError, LockTimeout

HOSTS = sys.argv[1]
ROOT = '/kazoo-recipes'
N = 4
transcript = []


def rec(step, value):
    transcript.append([step, value])
    return value


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def client():
    c = KazooClient(hosts=HOSTS, timeout=10.0)
    c.start(timeout=15)
    return c


def run_threads(target, count, timeout=10.0):
    """Runs target(i) in count threads; re-raises the first failure."""
    errors = []

    def wrap(i):
        try:
            target(i)
        except BaseException as e:  # noqa: B902
            errors.append(e)
            traceback.print_exc()

    threads = [threading.Thread(target=wrap, args=(i,), daemon=True) for i in range(count)]
    for t in threads:
        t.start()
    deadline = time.time() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.time()))
    expect(not any(t.is_alive() for t in threads), 'threads still running after %ss' % timeout)
    if errors:
        raise errors[0]


def wait_until(cond, what, timeout=5.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.01)
    raise AssertionError('timed out waiting for ' + what)


def lock_test(clients):
    path = ROOT + '/lock'
    guard = threading.Lock()
    holders = set()
    state = {'max': 0, 'count': 0, 'value': 0}
    rounds = 5

    def worker(i):
        lock = clients[i].Lock(path, 'worker-%d' % i)
        for _ in range(rounds):
            with lock:
                with guard:
                    holders.add(i)
                    state['max'] = max(state['max'], len(holders))
                    state['count'] += 1
                # a read-modify-write that would lose updates without the lock
                v = state['value']
                time.sleep(0.002)
                state['value'] = v + 1
                with guard:
                    holders.discard(i)

    run_threads(worker, N)
    rec('lock acquisitions', state['count'])
    rec('lock max holders', state['max'])
    rec('lock protected counter', state['value'])
    rec('lock path empty after', clients[0].get_children(path))

    # contenders, non-blocking acquire and timeouts while held
    first = clients[0].Lock(path, 'holder')
    expect(first.acquire(), 'holder acquires')
    other = clients[1].Lock(path, 'waiter')
    rec('non-blocking acquire while held', other.acquire(blocking=False))
    try:
        other.acquire(timeout=0.2)
        rec('acquire with timeout while held', 'acquired')
    except LockTimeout:
        rec('acquire with timeout while held', 'LockTimeout')
    got = []
    waiter = threading.Thread(target=lambda: got.append(other.acquire(timeout=5)), daemon=True)
    waiter.start()
    wait_until(lambda: len(first.contenders()) == 2, 'two contenders')
    rec('contenders', first.contenders())
    expect(not got, 'waiter acquired while the lock was held')
    first.release()
    waiter.join(5)
    rec('waiter acquired after release', got)
    rec('contenders after release', other.contenders())
    # a holder whose session closes hands the lock over too
    third = clients[2].Lock(path, 'third')
    got3 = []
    t3 = threading.Thread(target=lambda: got3.append(third.acquire(timeout=5)), daemon=True)
    t3.start()
    wait_until(lambda: len(third.contenders()) == 2, 'third contends')
    expect(not got3, 'third acquired while held')
    other.release()
    t3.join(5)
    rec('third acquired', got3)
    third.release()


def semaphore_test(clients):
    path = ROOT + '/semaphore'
    guard = threading.Lock()
    holders = set()
    state = {'max': 0, 'count': 0}

    def worker(i):
        sem = clients[i].Semaphore(path, 'sem-%d' % i, max_leases=2)
        for _ in range(3):
            with sem:
                with guard:
                    holders.add(i)
                    state['max'] = max(state['max'], len(holders))
                    state['count'] += 1
                time.sleep(0.005)
                with guard:
                    holders.discard(i)

    run_threads(worker, N)
    expect(1 <= state['max'] <= 2, 'semaphore max holders %d' % state['max'])
    rec('semaphore acquisitions', state['count'])
    rec('semaphore max holders within limit', state['max'] <= 2)


def run_election(election, func, i):
    try:
        election.run(func, i)
    except ConnectionClosedError:
        pass  # the candidate whose client was stopped while leading


def election_test(clients):
    path = ROOT + '/election'
    guard = threading.Lock()
    leading = set()
    order = []
    state = {'max': 0}
    resign = [threading.Event() for _ in range(N)]
    elected = [threading.Event() for _ in range(N)]
    elections = [clients[i].Election(path, 'candidate-%d' % i) for i in range(N)]

    def lead(i):
        with guard:
            leading.add(i)
            order.append(i)
            state['max'] = max(state['max'], len(leading))
        elected[i].set()
        resign[i].wait(10)
        with guard:
            leading.discard(i)

    threads = []
    for i in range(N):
        t = threading.Thread(target=run_election, args=(elections[i], lead, i), daemon=True)
        t.start()
        threads.append(t)
        # start candidates one after another so that the order is defined
        wait_until(lambda: len(elections[0].contenders()) == i + 1, 'candidate %d' % i)
    elected[0].wait(5)
    rec('election contenders', elections[0].contenders())
    rec('first leader', sorted(leading))

    # candidate 0 resigns; candidate 1 takes over
    resign[0].set()
    expect(elected[1].wait(5), 'candidate 1 elected')
    threads[0].join(5)
    rec('second leader', sorted(leading))
    rec('contenders after handover', elections[1].contenders())

    # candidate 1's session closes while it leads; candidate 2 takes over
    with guard:
        leading.discard(1)  # its leadership ends with its session
    clients[1].stop()
    expect(elected[2].wait(5), 'candidate 2 elected after session close')
    rec('leader after session close', sorted(leading))

    # candidate 3 withdraws before being elected
    elections[3].cancel()
    resign[2].set()
    threads[2].join(5)
    threads[3].join(5)
    rec('cancelled candidate never led', not elected[3].is_set())
    resign[1].set()
    threads[1].join(5)
    rec('leadership order', order)
    rec('max simultaneous leaders', state['max'])
    clients[1].start(timeout=15)


def party_test(clients):
    for kind in ['Party', 'ShallowParty']:
        path = ROOT + '/' + kind.lower()
        parties = [getattr(clients[i], kind)(path, 'member%d' % i) for i in range(N)]
        run_threads(lambda i: parties[i].join(), N)
        rec(kind + ' size', [len(p) for p in parties])
        rec(kind + ' members', sorted(parties[N - 1]))
        parties[0].leave()
        rec(kind + ' after leave', [len(parties[N - 1]), sorted(parties[N - 1])])
        rec(kind + ' leave again', parties[0].leave())
        for p in parties[1:]:
            p.leave()
        rec(kind + ' empty', len(parties[0]))


def counter_test(clients):
    path = ROOT + '/counter'
    per_client = 10

    def worker(i):
        counter = clients[i].Counter(path)
        for _ in range(per_client):
            counter += 1

    run_threads(worker, N)
    c = clients[0].Counter(path)
    rec('counter after concurrent increments', c.value)
    c -= 5
    rec('counter pre/post', [c.pre_value, c.post_value, c.value])
    f = clients[1].Counter(ROOT + '/float', default=1.5)
    f += 2.25
    rec('float counter', [f.value, clients[2].Counter(ROOT + '/float', default=0.0).value])
    data, stat = clients[0].get(path)
    rec('counter node', [data.decode(), stat.version])


def barrier_test(clients):
    path = ROOT + '/barrier'
    barrier = clients[0].Barrier(path)
    rec('barrier wait when absent', barrier.wait(timeout=0.1))
    barrier.create()
    rec('barrier wait when set', clients[1].Barrier(path).wait(timeout=0.1))
    passed = []
    guard = threading.Lock()

    def waiter(i):
        ok = clients[i + 1].Barrier(path).wait(timeout=5)
        with guard:
            passed.append(ok)

    threads = [threading.Thread(target=waiter, args=(i,), daemon=True) for i in range(N - 1)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    rec('barrier holds', list(passed))
    barrier.remove()
    for t in threads:
        t.join(5)
    rec('barrier released', passed)
    rec('barrier remove again', barrier.remove())

    dpath = ROOT + '/double-barrier'
    state = {'entered': 0, 'left': 0}
    seen = {'enter': [], 'leave': []}

    def member(i):
        db = clients[i].DoubleBarrier(dpath, N, 'member-%d' % i)
        with guard:
            state['entered'] += 1
        db.enter()
        with guard:
            seen['enter'].append(state['entered'])
        # stagger leaving: nobody may get out before everyone has called leave
        time.sleep(0.01 * i)
        with guard:
            state['left'] += 1
        db.leave()
        with guard:
            seen['leave'].append(state['left'])

    run_threads(member, N)
    rec('double barrier: entered count seen after enter', seen['enter'])
    rec('double barrier: left count seen after leave', seen['leave'])
    rec('double barrier node after', clients[0].get_children(dpath))


def queue_test(clients):
    path = ROOT + '/queue'
    queues = [clients[i].Queue(path) for i in range(N)]
    rec('queue get empty', queues[0].get())
    queues[0].put(b'first')
    queues[1].put(b'second')
    queues[2].put(b'urgent', priority=1)
    queues[3].put(b'third')
    queues[0].put(b'low', priority=200)
    rec('queue length', len(queues[1]))
    rec('queue order', [queues[i % N].get().decode() for i in range(5)])
    rec('queue empty again', [queues[2].get(), len(queues[2])])

    # concurrent producers: every item arrives exactly once
    def producer(i):
        for k in range(5):
            queues[i].put(('%d-%d' % (i, k)).encode())

    run_threads(producer, N)
    got = []
    while True:
        v = queues[0].get()
        if v is None:
            break
        got.append(v.decode())
    rec('concurrent puts consumed', sorted(got))
    # per-producer FIFO order is kept
    for i in range(N):
        mine = [g for g in got if g.startswith('%d-' % i)]
        expect(mine == ['%d-%d' % (i, k) for k in range(5)], 'producer order %r' % mine)

    lpath = ROOT + '/locking-queue'
    lq = [clients[i].LockingQueue(lpath) for i in range(N)]
    lq[0].put(b'a')
    lq[0].put_all([b'b', b'c'])
    lq[1].put(b'top', priority=5)
    rec('locking queue length', len(lq[2]))
    rec('lq0 get', lq[0].get(timeout=1).decode())
    rec('lq0 get again (same element)', lq[0].get(timeout=1).decode())
    rec('lq1 get (next element)', lq[1].get(timeout=1).decode())
    rec('holds_lock', [lq[0].holds_lock(), lq[1].holds_lock(), lq[2].holds_lock()])
    rec('lq1 release', lq[1].release())
    rec('lq2 get released element', lq[2].get(timeout=1).decode())
    rec('lq0 consume', lq[0].consume())
    rec('lq0 consume again', lq[0].consume())
    rec('lq2 consume', lq[2].consume())
    rec('lq3 get', lq[3].get(timeout=1).decode())
    # an element locked by a closed session becomes available again
    clients[3].stop()
    rec('lq1 get after holder closed', lq[1].get(timeout=5).decode())
    rec('lq1 consume', lq[1].consume())
    rec('locking queue length after', len(lq[0]))
    rec('lq0 get last', [lq[0].get(timeout=1).decode(), lq[0].consume()])
    rec('lq0 get timeout on empty', lq[0].get(timeout=0.1))
    clients[3].start(timeout=15)

    # a consumer blocked on an empty queue wakes up on put
    got = []
    t = threading.Thread(target=lambda: got.append(lq[2].get(timeout=5)), daemon=True)
    t.start()
    time.sleep(0.1)
    lq[1].put(b'late')
    t.join(5)
    rec('blocked get woken by put', [g.decode() for g in got])
    rec('late consumed', lq[2].consume())


def tree_cache_test(clients):
    from kazoo.recipe.cache import TreeCache, TreeEvent
    path = ROOT + '/tree'
    writer = clients[1]
    writer.create(path + '/a/x', b'ax', makepath=True)
    writer.create(path + '/b', b'b')
    events = []
    initialized = threading.Event()
    changed = threading.Condition()

    def listener(event):
        with changed:
            if event.event_type == TreeEvent.INITIALIZED:
                initialized.set()
            elif event.event_data is not None:
                d = event.event_data
                events.append([event.event_type, d.path, None if d.data is None else d.data.decode(),
                               d.stat.version])
            changed.notify_all()

    def wait_events(n, what):
        with changed:
            expect(changed.wait_for(lambda: len(events) >= n, timeout=5), 'tree cache: ' + what)

    cache = TreeCache(clients[0], path)
    cache.listen(listener)
    cache.start()
    expect(initialized.wait(5), 'tree cache initialized')
    # the initial load's order follows the server's children order, which ZooKeeper leaves unspecified
    rec('tree cache initial', sorted(events))
    rec('tree cache children', sorted(cache.get_children(path)))
    del events[:]
    writer.create(path + '/c', b'c')
    wait_events(1, 'c added')
    writer.set(path + '/a/x', b'ax2')
    wait_events(2, 'a/x updated')
    writer.create(path + '/a/x/deep', b'd')
    wait_events(3, 'deep added')
    writer.delete(path + '/b')
    wait_events(4, 'b removed')
    writer.delete(path + '/a', recursive=True)
    wait_events(7, 'a, a/x and a/x/deep removed')
    time.sleep(0.1)  # nothing more arrives
    rec('tree cache events', events)
    rec('tree cache data', cache.get_data(path + '/c').data.decode())
    rec('tree cache children after', sorted(cache.get_children(path)))
    cache.close()


def main():
    clients = [client() for _ in range(N)]
    if clients[0].exists(ROOT):
        clients[0].delete(ROOT, recursive=True)
    clients[0].ensure_path(ROOT)
    timings = {}
    for name, fn in [('lock', lock_test), ('semaphore', semaphore_test),
                     ('election', election_test), ('party', party_test),
                     ('counter', counter_test), ('barrier', barrier_test),
                     ('queue', queue_test), ('tree cache', tree_cache_test)]:
        t0 = time.time()
        fn(clients)
        timings[name] = round(time.time() - t0, 3)
    clients[0].delete(ROOT, recursive=True)
    rec('root gone', clients[0].exists(ROOT))
    for c in clients:
        c.stop()
        c.close()
    print(json.dumps(timings), file=sys.stderr)


if __name__ == '__main__':
    try:
        main()
        out = json.dumps(transcript, indent=1)
    except BaseException:
        traceback.print_exc()
        print(json.dumps(transcript, indent=1, default=repr))
        sys.exit(1)
    print(out)
