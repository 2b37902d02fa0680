import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.io.BufferedReader;
import java.io.InputStreamReader;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.curator.framework.recipes.atomic.AtomicValue;
import org.apache.curator.framework.recipes.atomic.DistributedAtomicLong;
import org.apache.curator.framework.recipes.barriers.DistributedBarrier;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderSelector;
import org.apache.curator.framework.recipes.leader.LeaderSelectorListenerAdapter;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreV2;
import org.apache.curator.framework.recipes.locks.Lease;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * Curator drives a ZooKeeper-compatible server through the framework API and
 * the standard recipes, printing a transcript of facts that must be the same
 * on any correct server: one line "T step = value" per fact. Session ids,
 * zxids and times are never printed, only compared.
 *
 * Usage: CuratorDriver <direct connection string> <proxied connection string>
 *
 * The session-expiry part runs one client through a proxy owned by the
 * test: the driver prints "@cut" (refuse and drop its connections) and
 * "@resume", and waits for "ok" on stdin after each.
 */
public final class CuratorDriver {
    static final String ROOT = "/curator-driver";
    static final BufferedReader STDIN = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));

    static void rec(String step, Object value) {
        System.out.println("T " + step + " = " + value);
        System.out.flush();
    }

    static void control(String what) throws Exception {
        System.out.println("@" + what);
        System.out.flush();
        String answer = STDIN.readLine();
        if (!"ok".equals(answer)) throw new IllegalStateException("test answered " + answer + " to @" + what);
    }

    static void expect(boolean cond, String what) {
        if (!cond) throw new AssertionError(what);
    }

    static <T> T poll(BlockingQueue<T> q, String what, long seconds) throws InterruptedException {
        T value = q.poll(seconds, TimeUnit.SECONDS);
        if (value == null) throw new AssertionError("timed out waiting for " + what);
        return value;
    }

    static String text(byte[] data) {
        return data == null ? "null" : new String(data, StandardCharsets.UTF_8);
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String code(Exception e) {
        return e instanceof KeeperException ? ((KeeperException) e).code().name() : e.getClass().getSimpleName();
    }

    static CuratorFramework client(String hosts, int sessionMs) throws InterruptedException {
        CuratorFramework c = CuratorFrameworkFactory.builder()
            .connectString(hosts)
            .sessionTimeoutMs(sessionMs)
            .connectionTimeoutMs(10_000)
            .retryPolicy(new ExponentialBackoffRetry(100, 10, 1_000))
            .build();
        c.start();
        expect(c.blockUntilConnected(30, TimeUnit.SECONDS), "connected to " + hosts);
        return c;
    }

    public static void main(String[] args) throws Exception {
        String direct = args[0];
        String proxied = args[1];
        CuratorFramework c = client(direct, 10_000);
        CuratorFramework c2 = client(direct, 10_000);
        try {
            if (c.checkExists().forPath(ROOT) != null) c.delete().deletingChildrenIfNeeded().forPath(ROOT);
            crud(c);
            protectedSequential(c);
            transactions(c);
            cache(c);
            mutex(c, c2);
            semaphore(c, c2);
            latch(c, c2);
            selector(c, c2);
            atomicLong(c, c2);
            barrier(c, c2);
            expiry(c, proxied);
            c.delete().deletingChildrenIfNeeded().forPath(ROOT);
            rec("root gone", c.checkExists().forPath(ROOT) == null);
        } finally {
            c2.close();
            c.close();
        }
        System.out.println("DONE");
        System.out.flush();
        System.exit(0);
    }

    static void crud(CuratorFramework c) throws Exception {
        String p = ROOT + "/crud/a/b";
        rec("create with parents", c.create().creatingParentsIfNeeded().forPath(p, bytes("v0")));
        rec("parent exists", c.checkExists().forPath(ROOT + "/crud/a") != null);
        Stat stat = new Stat();
        rec("get", text(c.getData().storingStatIn(stat).forPath(p)) + " v" + stat.getVersion());
        Stat set = c.setData().withVersion(0).forPath(p, bytes("v1"));
        rec("setData version 0", "v" + set.getVersion() + " len " + set.getDataLength());
        try {
            c.setData().withVersion(0).forPath(p, bytes("stale"));
            rec("setData stale version", "ok?!");
        } catch (KeeperException e) {
            rec("setData stale version", code(e));
        }
        rec("after stale write", text(c.getData().forPath(p)));
        try {
            c.create().forPath(p, bytes("dup"));
            rec("create existing", "ok?!");
        } catch (KeeperException e) {
            rec("create existing", code(e));
        }
        for (String child : new String[] {"z", "m", "a"}) c.create().forPath(ROOT + "/crud/a/" + child);
        List<String> children = new ArrayList<>(c.getChildren().forPath(ROOT + "/crud/a"));
        Collections.sort(children);
        rec("getChildren", children);
        rec("numChildren", c.checkExists().forPath(ROOT + "/crud/a").getNumChildren());
        try {
            c.delete().forPath(ROOT + "/crud/a");
            rec("delete non-empty", "ok?!");
        } catch (KeeperException e) {
            rec("delete non-empty", code(e));
        }
        c.delete().deletingChildrenIfNeeded().forPath(ROOT + "/crud");
        rec("deletingChildrenIfNeeded", c.checkExists().forPath(ROOT + "/crud") == null);
        try {
            c.getData().forPath(ROOT + "/crud");
        } catch (KeeperException e) {
            rec("get deleted", code(e));
        }
    }

    static void protectedSequential(CuratorFramework c) throws Exception {
        String created = c.create().creatingParentsIfNeeded().withProtection()
            .withMode(CreateMode.EPHEMERAL_SEQUENTIAL).forPath(ROOT + "/prot/node-", bytes("p"));
        String name = created.substring(created.lastIndexOf('/') + 1);
        rec("protected name", name.replaceAll("^_c_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-", "_c_<uuid>-"));
        Stat stat = c.checkExists().forPath(created);
        rec("ephemeral owner is us", stat.getEphemeralOwner() == c.getZookeeperClient().getZooKeeper().getSessionId());
        String second = c.create().withProtection().withMode(CreateMode.EPHEMERAL_SEQUENTIAL)
            .forPath(ROOT + "/prot/node-", bytes("q"));
        rec("second sequence", second.substring(second.length() - 10));
        rec("protected children", c.getChildren().forPath(ROOT + "/prot").size());
    }

    static void transactions(CuratorFramework c) throws Exception {
        String t = ROOT + "/txn";
        c.create().forPath(t, bytes("base"));
        List<CuratorTransactionResult> results = c.transaction().forOperations(
            c.transactionOp().create().forPath(t + "/x", bytes("x")),
            c.transactionOp().create().withMode(CreateMode.PERSISTENT_SEQUENTIAL).forPath(t + "/s-", bytes("s")),
            c.transactionOp().setData().withVersion(0).forPath(t, bytes("base2")),
            c.transactionOp().check().withVersion(1).forPath(t),
            c.transactionOp().delete().forPath(t + "/x"));
        for (CuratorTransactionResult r : results) {
            rec("txn result", r.getType() + " " + r.getForPath() + " -> " + r.getResultPath()
                + (r.getResultStat() == null ? "" : " v" + r.getResultStat().getVersion()));
        }
        rec("txn applied", text(c.getData().forPath(t)) + " " + c.getChildren().forPath(t));
        try {
            c.transaction().forOperations(
                c.transactionOp().create().forPath(t + "/never", bytes("n")),
                c.transactionOp().check().withVersion(0).forPath(t));
            rec("failing txn", "ok?!");
        } catch (KeeperException e) {
            rec("failing txn", code(e));
        }
        rec("failing txn applied nothing", c.checkExists().forPath(t + "/never") == null);
    }

    static void cache(CuratorFramework c) throws Exception {
        String root = ROOT + "/cache";
        c.create().forPath(root, bytes("r"));
        c.create().forPath(root + "/pre", bytes("pre"));
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        CountDownLatch initialized = new CountDownLatch(1);
        List<String> initial = Collections.synchronizedList(new ArrayList<>());
        CuratorCache cache = CuratorCache.build(c, root);
        cache.listenable().addListener(CuratorCacheListener.builder()
            .forAll((type, oldData, data) -> {
                String line = type + " " + (data != null ? data.getPath() + " " + text(data.getData())
                    : oldData.getPath() + " was " + text(oldData.getData()));
                if (initialized.getCount() > 0) initial.add(line);
                else events.add(line);
            })
            .forInitialized(initialized::countDown)
            .build());
        cache.start();
        expect(initialized.await(20, TimeUnit.SECONDS), "cache initialized");
        List<String> sorted = new ArrayList<>(initial);
        Collections.sort(sorted);
        rec("cache initial", sorted);
        c.create().forPath(root + "/new", bytes("n1"));
        rec("cache event", poll(events, "create event", 10));
        c.setData().forPath(root + "/new", bytes("n2"));
        rec("cache event", poll(events, "change event", 10));
        c.create().forPath(root + "/new/deep", bytes("d"));
        rec("cache event", poll(events, "deep create event", 10));
        c.delete().deletingChildrenIfNeeded().forPath(root + "/new");
        List<String> deletes = new ArrayList<>();
        deletes.add(poll(events, "delete event", 10));
        deletes.add(poll(events, "delete event", 10));
        Collections.sort(deletes);
        rec("cache deletes", deletes);
        rec("cache size", cache.size());
        rec("cache data", text(cache.get(root + "/pre").get().getData()));
        cache.close();
    }

    static void mutex(CuratorFramework c, CuratorFramework c2) throws Exception {
        String path = ROOT + "/mutex";
        InterProcessMutex m1 = new InterProcessMutex(c, path);
        InterProcessMutex m2 = new InterProcessMutex(c2, path);
        rec("mutex acquire", m1.acquire(10, TimeUnit.SECONDS));
        rec("mutex reentrant", m1.acquire(10, TimeUnit.SECONDS));
        rec("mutex other times out", m2.acquire(300, TimeUnit.MILLISECONDS));
        m1.release();
        rec("mutex still held after one release", m1.isAcquiredInThisProcess());
        AtomicReference<Boolean> got = new AtomicReference<>();
        Thread waiter = new Thread(() -> {
            try {
                // InterProcessMutex belongs to the thread that acquired it: release here.
                boolean acquired = m2.acquire(20, TimeUnit.SECONDS);
                if (acquired) m2.release();
                got.set(acquired);
            } catch (Exception e) {
                got.set(false);
            }
        });
        waiter.start();
        waitFor(() -> participants(c, path) == 2, "second contender queued");
        rec("mutex participants", m1.getParticipantNodes().size());
        m1.release();
        waiter.join(30_000);
        rec("mutex handed over", got.get());
        rec("mutex participants after", c.getChildren().forPath(path).size());
    }

    static int participants(CuratorFramework c, String path) {
        try {
            return c.getChildren().forPath(path).size();
        } catch (Exception e) {
            return -1;
        }
    }

    interface Check {
        boolean ok() throws Exception;
    }

    static void waitFor(Check check, String what) throws Exception {
        long deadline = System.currentTimeMillis() + 20_000;
        while (!check.ok()) {
            if (System.currentTimeMillis() > deadline) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(20);
        }
    }

    static void semaphore(CuratorFramework c, CuratorFramework c2) throws Exception {
        String path = ROOT + "/semaphore";
        InterProcessSemaphoreV2 s1 = new InterProcessSemaphoreV2(c, path, 2);
        InterProcessSemaphoreV2 s2 = new InterProcessSemaphoreV2(c2, path, 2);
        List<Lease> mine = new ArrayList<>(s1.acquire(2, 10, TimeUnit.SECONDS));
        rec("semaphore leases", mine.size());
        rec("semaphore full", s2.acquire(300, TimeUnit.MILLISECONDS) == null);
        s1.returnLease(mine.remove(0));
        Lease other = s2.acquire(10, TimeUnit.SECONDS);
        rec("semaphore lease after return", other != null);
        rec("semaphore participants", s1.getParticipantNodes().size());
        s2.returnLease(other);
        s1.returnAll(mine);
        rec("semaphore participants after", s1.getParticipantNodes().size());
    }

    static void latch(CuratorFramework c, CuratorFramework c2) throws Exception {
        String path = ROOT + "/latch";
        LeaderLatch l1 = new LeaderLatch(c, path, "one");
        LeaderLatch l2 = new LeaderLatch(c2, path, "two");
        l1.start();
        rec("latch one leads", l1.await(20, TimeUnit.SECONDS));
        l2.start();
        rec("latch two waits", l2.await(300, TimeUnit.MILLISECONDS));
        rec("latch leader seen by two", l2.getLeader().getId());
        rec("latch participants", l1.getParticipants().size());
        l1.close();
        rec("latch two leads after close", l2.await(20, TimeUnit.SECONDS));
        rec("latch leader after close", l2.getLeader().getId());
        l2.close();
    }

    static void selector(CuratorFramework c, CuratorFramework c2) throws Exception {
        String path = ROOT + "/selector";
        BlockingQueue<String> turns = new LinkedBlockingQueue<>();
        CountDownLatch releaseFirst = new CountDownLatch(1);
        CountDownLatch releaseSecond = new CountDownLatch(1);
        LeaderSelector first = new LeaderSelector(c, path, new LeaderSelectorListenerAdapter() {
            @Override
            public void takeLeadership(CuratorFramework client) throws Exception {
                turns.add("first");
                releaseFirst.await();
            }
        });
        first.setId("first");
        LeaderSelector second = new LeaderSelector(c2, path, new LeaderSelectorListenerAdapter() {
            @Override
            public void takeLeadership(CuratorFramework client) throws Exception {
                turns.add("second");
                releaseSecond.await();
            }
        });
        second.setId("second");
        first.start();
        rec("selector turn", poll(turns, "first leadership", 20));
        second.start();
        waitFor(() -> second.getParticipants().size() == 2, "second selector queued");
        rec("selector leader", second.getLeader().getId() + " " + second.getLeader().isLeader());
        rec("selector has leadership", first.hasLeadership() + " " + second.hasLeadership());
        releaseFirst.countDown();
        rec("selector turn", poll(turns, "second leadership", 20));
        rec("selector leader after", first.getLeader().getId());
        releaseSecond.countDown();
        first.close();
        second.close();
    }

    static void atomicLong(CuratorFramework c, CuratorFramework c2) throws Exception {
        String path = ROOT + "/counter";
        DistributedAtomicLong a = new DistributedAtomicLong(c, path, new RetryNTimes(50, 10));
        DistributedAtomicLong b = new DistributedAtomicLong(c2, path, new RetryNTimes(50, 10));
        rec("counter initial", a.get().postValue());
        AtomicValue<Long> inc = a.increment();
        rec("counter increment", inc.succeeded() + " " + inc.preValue() + "->" + inc.postValue());
        AtomicValue<Long> add = b.add(5L);
        rec("counter add", add.succeeded() + " " + add.preValue() + "->" + add.postValue());
        rec("counter cas right", a.compareAndSet(6L, 10L).succeeded());
        rec("counter cas wrong", b.compareAndSet(6L, 11L).succeeded());
        Thread[] threads = new Thread[2];
        DistributedAtomicLong[] counters = {a, b};
        for (int i = 0; i < threads.length; i++) {
            DistributedAtomicLong counter = counters[i];
            threads[i] = new Thread(() -> {
                for (int n = 0; n < 15; n++) {
                    try {
                        if (!counter.increment().succeeded()) throw new AssertionError("increment gave up");
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }
            });
            threads[i].start();
        }
        for (Thread t : threads) t.join(60_000);
        rec("counter after concurrent increments", b.get().postValue());
        a.forceSet(-3L);
        rec("counter forceSet", b.get().postValue());
    }

    static void barrier(CuratorFramework c, CuratorFramework c2) throws Exception {
        String path = ROOT + "/barrier";
        DistributedBarrier setter = new DistributedBarrier(c, path);
        DistributedBarrier waiter = new DistributedBarrier(c2, path);
        setter.setBarrier();
        rec("barrier wait times out", waiter.waitOnBarrier(300, TimeUnit.MILLISECONDS));
        AtomicReference<Boolean> passed = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                passed.set(waiter.waitOnBarrier(20, TimeUnit.SECONDS));
            } catch (Exception e) {
                passed.set(false);
            }
        });
        t.start();
        Thread.sleep(200);
        rec("barrier waiter still blocked", passed.get() == null);
        setter.removeBarrier();
        t.join(30_000);
        rec("barrier passed after remove", passed.get());
        rec("barrier open wait", waiter.waitOnBarrier(1, TimeUnit.SECONDS));
    }

    static void expiry(CuratorFramework direct, String proxied) throws Exception {
        BlockingQueue<ConnectionState> states = new LinkedBlockingQueue<>();
        CuratorFramework c = CuratorFrameworkFactory.builder()
            .connectString(proxied)
            .sessionTimeoutMs(3_000)
            .connectionTimeoutMs(3_000)
            .retryPolicy(new ExponentialBackoffRetry(100, 29, 500))
            .build();
        c.getConnectionStateListenable().addListener((client, state) -> states.add(state));
        c.start();
        rec("state", poll(states, "CONNECTED", 20));
        long firstSession = c.getZookeeperClient().getZooKeeper().getSessionId();
        String eph = ROOT + "/expiry-eph";
        c.create().withMode(CreateMode.EPHEMERAL).forPath(eph, bytes("mine"));
        LeaderLatch latch = new LeaderLatch(c, ROOT + "/expiry-latch", "expiring");
        latch.start();
        rec("latch before expiry", latch.await(20, TimeUnit.SECONDS));

        // A loaded machine may drop a connection on its own before the cut
        // (a late ping): such a SUSPENDED/RECONNECTED pair is no fact about the server.
        states.clear();
        control("cut");
        rec("state", poll(states, "SUSPENDED", 20));
        // Curator declares the session LOST once the session timeout has passed while suspended.
        rec("state", poll(states, "LOST", 30));
        rec("latch after lost", latch.hasLeadership());
        waitFor(() -> direct.checkExists().forPath(eph) == null, "the ephemeral to go with the expired session");
        rec("ephemeral gone on the server", true);
        control("resume");
        rec("state", poll(states, "RECONNECTED", 30));
        long secondSession = c.getZookeeperClient().getZooKeeper().getSessionId();
        rec("new session", secondSession != firstSession && secondSession != 0);
        rec("ephemeral on new session", c.checkExists().forPath(eph) == null);
        c.create().withMode(CreateMode.EPHEMERAL).forPath(eph, bytes("again"));
        rec("new ephemeral", text(c.getData().forPath(eph)));
        // The latch rejoins on RECONNECTED and, alone on its path, leads again.
        rec("latch after reconnect", latch.await(20, TimeUnit.SECONDS));
        latch.close();
        c.close();
        rec("ephemeral gone after close", direct.checkExists().forPath(eph) == null);
        List<ConnectionState> rest = new ArrayList<>();
        states.drainTo(rest);
        rec("lost again later", rest.contains(ConnectionState.LOST));
    }
}
