package io.railyard.bench;

import io.railyard.local.TestBroker;

/**
 * The hub's single-node KRaft broker in a process of its own, for {@code BENCH_SPLIT=1 bench/load.sh}: the load
 * harness then measures the hub's own CPU, not the broker's. Prints {@code brokers <host:port>} once up; runs until
 * killed, its log in a temporary directory deleted on a clean stop.
 */
public final class BenchBroker {

    private BenchBroker() {
    }

    public static void main(String[] args) throws Exception {
        TestBroker broker = TestBroker.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                broker.close();
            } catch (Exception e) {
                System.err.println("broker stop: " + e.getMessage());
            }
        }));
        System.out.println("brokers " + broker.brokers());
        Thread.currentThread().join();
    }
}
