"""A Kazoo (python3-kazoo 2.8) worker that contends with Herd's recipes on
the same paths, for test/recipes/kazoo-interop.test.ts.

    worker.py <recipe> <hosts> <path> <identifier> [args...]

It connects, prints READY, waits for "go" on stdin, does its part, and
prints one JSON line with what it saw. Critical sections are checked by an
independent referee outside ZooKeeper: a file created with O_EXCL in a
directory shared with the Herd side (two holders at once = the second
create fails = a violation).
"""
import json
import os
import random
import sys
import time

from kazoo.client import KazooClient


def enter(check_dir, who, max_holders=1):
    """Claims a slot file; returns False when that makes too many holders."""
    name = os.path.join(check_dir, "slot-" + who)
    ok = True
    if max_holders == 1:
        name = os.path.join(check_dir, "holder")
    try:
        fd = os.open(name, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        os.write(fd, who.encode())
        os.close(fd)
    except FileExistsError:
        return False, None
    if max_holders > 1 and len(os.listdir(check_dir)) > max_holders:
        ok = False
    return ok, name


def leave(name):
    if name is not None:
        os.unlink(name)


def critical(check_dir, who, stats, max_holders=1):
    ok, name = enter(check_dir, who, max_holders)
    stats["entries"] += 1
    if not ok:
        stats["violations"] += 1
    time.sleep(random.uniform(0.001, 0.01))
    leave(name)


def main():
    recipe, hosts, path, ident = sys.argv[1:5]
    args = sys.argv[5:]
    zk = KazooClient(hosts=hosts, timeout=10)
    zk.start(timeout=20)
    print("READY", flush=True)
    if sys.stdin.readline().strip() != "go":
        return 1
    out = {"recipe": recipe, "identifier": ident}
    stats = {"entries": 0, "violations": 0}
    if recipe == "lock":
        rounds, check_dir = int(args[0]), args[1]
        for _ in range(rounds):
            lock = zk.Lock(path, ident)
            with lock:
                critical(check_dir, ident, stats)
            time.sleep(random.uniform(0, 0.005))
        out.update(stats)
    elif recipe == "election":
        rounds, check_dir = int(args[0]), args[1]
        for _ in range(rounds):
            zk.Election(path, ident).run(critical, check_dir, ident, stats)
        out.update(stats)
    elif recipe == "semaphore":
        rounds, check_dir, max_leases = int(args[0]), args[1], int(args[2])
        for _ in range(rounds):
            sem = zk.Semaphore(path, ident, max_leases=max_leases)
            with sem:
                critical(check_dir, ident, stats, max_leases)
        out.update(stats)
    elif recipe == "counter":
        n = int(args[0])
        counter = zk.Counter(path)
        for _ in range(n):
            counter += 1
        out["value"] = zk.Counter(path).value
    elif recipe == "party":
        expected = int(args[0])
        party = zk.Party(path, ident)
        party.join()
        deadline = time.time() + 20
        while len(party) < expected and time.time() < deadline:
            time.sleep(0.05)
        out["members"] = sorted(party)
        print(json.dumps(out), flush=True)
        sys.stdin.readline()  # stay a member until told to leave
        party.leave()
        out = {"left": True, "members": sorted(party)}
    elif recipe == "queue":
        # Takes everything the Herd side put, in Kazoo's order, then puts its own.
        q = zk.Queue(path)
        got = []
        while True:
            item = q.get()
            if item is None:
                break
            got.append(item.decode())
        out["got"] = got
        q.put(b"from-kazoo-low", priority=500)
        q.put(b"from-kazoo-high", priority=5)
    elif recipe == "barrier":
        out["cleared"] = zk.Barrier(path).wait(timeout=float(args[0]))
    elif recipe == "doublebarrier":
        barrier = zk.DoubleBarrier(path, int(args[0]), ident)
        barrier.enter()
        out["entered_with"] = len([c for c in zk.get_children(path) if c != "ready"])
        print(json.dumps(out), flush=True)
        sys.stdin.readline()  # leave when told
        barrier.leave()
        out = {"left": True}
    elif recipe == "lease":
        import datetime
        lease = zk.NonBlockingLease(path, datetime.timedelta(seconds=int(args[0])), identifier=ident)
        out["obtained"] = bool(lease)
        out["holder"] = json.loads(zk.get(path + "/lease_holder")[0].decode())["holder"]
    elif recipe == "lockingqueue":
        q = zk.LockingQueue(path)
        item = q.get(timeout=10)
        out["got"] = item.decode() if item is not None else None
        out["consumed"] = q.consume()
        q.put(b"from-kazoo", priority=1)
    else:
        raise SystemExit("unknown recipe " + recipe)
    print(json.dumps(out), flush=True)
    zk.stop()
    zk.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
