package io.railyard.id;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class RowIdsTest {

    @Test
    void anIdIsAVersion7UuidCarryingItsMillisecond() {
        long before = System.currentTimeMillis();
        UUID id = RowIds.next();
        long after = System.currentTimeMillis();
        assertThat(id.version()).isEqualTo(7);
        assertThat(id.variant()).isEqualTo(2);
        assertThat(id.getMostSignificantBits() >>> 16).isBetween(before, after);
    }

    @Test
    void idsOfLaterMillisecondsSortAfterEarlierOnesAsPostgresqlOrdersThem() throws InterruptedException {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            ids.add(RowIds.next().toString());
            Thread.sleep(2);
        }
        // PostgreSQL compares uuid values byte by byte, as their lowercase hex text compares
        assertThat(ids).isSorted();
    }

    @Test
    void idsMadeAtOnceAreDistinctInTheirRandomBits() {
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            ids.add(RowIds.next());
        }
        assertThat(new HashSet<>(ids)).hasSize(ids.size());
        assertThat(ids.stream().map(UUID::getLeastSignificantBits).distinct().count()).isEqualTo(ids.size());
    }
}
