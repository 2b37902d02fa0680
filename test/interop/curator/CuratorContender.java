import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.recipes.leader.LeaderSelector;
import org.apache.curator.framework.recipes.leader.LeaderSelectorListenerAdapter;
import org.apache.curator.retry.ExponentialBackoffRetry;

/**
 * One Curator LeaderLatch or LeaderSelector (with autoRequeue), steered by
 * the test over stdin, for contending with Herd's recipes on one path.
 *
 * Usage: CuratorContender <connection string> <path> <id> latch|selector [session timeout ms]
 *
 * Commands (one per line): start, leader (prints "leader <id>" as Curator
 * sees it), has (prints "has true|false"), release (selector: return from
 * takeLeadership), close, quit. Each command is acknowledged with
 * "ok <command>". Leadership is reported as "begin <epoch ms>" when it
 * starts and "end <epoch ms>" when this contender stops acting as leader:
 * before close() or before takeLeadership returns, so the interval is what
 * an application would see.
 */
public final class CuratorContender {
    static final Object OUT = new Object();

    static void say(String line) {
        synchronized (OUT) {
            System.out.println(line);
            System.out.flush();
        }
    }

    static final AtomicBoolean leading = new AtomicBoolean();

    static void begin() {
        if (leading.compareAndSet(false, true)) say("begin " + System.currentTimeMillis());
    }

    static void end() {
        if (leading.compareAndSet(true, false)) say("end " + System.currentTimeMillis());
    }

    public static void main(String[] args) throws Exception {
        String hosts = args[0];
        String path = args[1];
        String id = args[2];
        boolean latchMode = args[3].equals("latch");
        int sessionMs = args.length > 4 ? Integer.parseInt(args[4]) : 10_000;
        CuratorFramework client = CuratorFrameworkFactory.builder()
            .connectString(hosts)
            .sessionTimeoutMs(sessionMs)
            .connectionTimeoutMs(10_000)
            .retryPolicy(new ExponentialBackoffRetry(100, 10, 1_000))
            .build();
        client.start();
        if (!client.blockUntilConnected(30, TimeUnit.SECONDS)) throw new IllegalStateException("not connected");

        LeaderLatch latch = null;
        LeaderSelector selector = null;
        AtomicReference<CountDownLatch> turn = new AtomicReference<>();
        if (latchMode) {
            latch = new LeaderLatch(client, path, id);
            latch.addListener(new LeaderLatchListener() {
                @Override
                public void isLeader() {
                    begin();
                }

                @Override
                public void notLeader() {
                    end();
                }
            });
        } else {
            selector = new LeaderSelector(client, path, new LeaderSelectorListenerAdapter() {
                @Override
                public void takeLeadership(CuratorFramework c) throws Exception {
                    CountDownLatch done = new CountDownLatch(1);
                    turn.set(done);
                    begin();
                    try {
                        done.await();
                    } finally {
                        end();
                    }
                }
            });
            selector.setId(id);
            selector.autoRequeue();
        }
        say("ready");

        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String command;
        while ((command = in.readLine()) != null) {
            switch (command) {
                case "start":
                    if (latchMode) latch.start();
                    else selector.start();
                    break;
                case "leader":
                    say("leader " + (latchMode ? latch.getLeader().getId() : selector.getLeader().getId()));
                    break;
                case "has":
                    say("has " + (latchMode ? latch.hasLeadership() : selector.hasLeadership()));
                    break;
                case "release": {
                    CountDownLatch done = turn.getAndSet(null);
                    if (done == null) throw new IllegalStateException("release while not leading");
                    end();
                    done.countDown();
                    break;
                }
                case "close":
                    end();
                    if (latchMode) latch.close();
                    else selector.close();
                    break;
                case "quit":
                    client.close();
                    say("ok quit");
                    System.exit(0);
                    return;
                default:
                    throw new IllegalArgumentException("unknown command " + command);
            }
            say("ok " + command);
        }
        System.exit(0);
    }
}
