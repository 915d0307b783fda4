package io.railyard.id;

import com.fasterxml.uuid.Generators;
import com.fasterxml.uuid.impl.TimeBasedEpochRandomGenerator;
import java.util.UUID;

/**
 * Ids of the rows the hub writes at its request rate (transfers, journal entries, outbox events, webhook deliveries):
 * UUIDv7 (RFC 9562), the creation millisecond followed by 74 random bits.
 *
 * <p>A random UUIDv4 lands on a random leaf of every index it is a key of, so each insert dirties another page, and
 * the first change of a page after a checkpoint writes the whole page to the WAL. Ids that grow with time are added at
 * the right edge of their indexes, where the recent pages already are. With 74 random bits an id still tells nothing of
 * another made in the same millisecond; access is checked by owner anyway.
 */
public final class RowIds {

    private static final TimeBasedEpochRandomGenerator GENERATOR = Generators.timeBasedEpochRandomGenerator();

    private RowIds() {
    }

    /** A new id, which sorts after the ids made in earlier milliseconds (of the system clock). */
    public static UUID next() {
        return GENERATOR.generate();
    }
}
