package io.railyard.settlementbatch;

import java.time.Instant;

/**
 * The aggregator's correlation key: a rail, a currency and the end of the window collecting them. It carries its
 * own due time, so the clustered window tick finds the due groups from the repository's keys alone.
 */
record WindowGroup(String rail, String currency, Instant end) {

    static WindowGroup parse(String key) {
        String[] parts = key.split("\\|");
        if (parts.length != 3) {
            throw new IllegalArgumentException("not a settlement batch group: " + key);
        }
        return new WindowGroup(parts[0], parts[1], Instant.parse(parts[2]));
    }

    String key() {
        return rail + "|" + currency + "|" + end;
    }

    boolean dueAt(Instant now) {
        return !end.isAfter(now);
    }
}
