package io.railyard.connector;

import static org.assertj.core.api.Assertions.assertThat;

import io.railyard.HubTest;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * The recheck sweep's pause doubles from recheck-after and stops growing at recheck-max-pause (5 min); the hub of
 * the tests asks again after 1 s (HubTest).
 */
class RecheckBackoffTest extends HubTest {

    @Autowired
    RailGate gate;

    @Test
    void thePauseBeforeAskingARailAgainDoublesUpToFiveMinutes() {
        UUID partner = newPartner().id();
        Instant before = now();
        UUID fifth = submitted(partner, 4);
        UUID eighth = submitted(partner, 7);
        UUID tenth = submitted(partner, 9);
        gate.recheckDue(); // or the sweep's own timer got there first: either asks each once
        Instant after = now();
        assertPause(fifth, 5, Duration.ofSeconds(16), before, after);
        assertPause(eighth, 8, Duration.ofSeconds(128), before, after);
        assertPause(tenth, 10, Duration.ofMinutes(5), before, after); // not 2^9 s
    }

    /** A transfer SUBMITTED to a rail nobody listens to (the recheck instruction goes nowhere), due now. */
    private UUID submitted(UUID partner, int attempts) {
        UUID id = UUID.randomUUID();
        jdbc.sql("""
                insert into transfers (id, partner_id, status, protocol, source_currency, source_amount_minor,
                    destination_currency, destination_amount_minor, beneficiary, reference, rail, attempts,
                    next_attempt_at)
                values (?, ?, 'SUBMITTED', 'api', 'BRL', 100, 'BRL', 100, '{}'::jsonb, 'backoff', 'no-such-rail', ?,
                    clock_timestamp() - interval '1 second')""").params(id, partner, attempts).update();
        return id;
    }

    private void assertPause(UUID id, int attempts, Duration pause, Instant before, Instant after) {
        assertThat(jdbc.sql("select attempts from transfers where id = ?").param(id).query(Integer.class).single())
                .isEqualTo(attempts);
        Instant next = jdbc.sql("select next_attempt_at from transfers where id = ?").param(id)
                .query(Timestamp.class).single().toInstant();
        assertThat(next).isBetween(before.plus(pause), after.plus(pause));
    }

    private Instant now() {
        return jdbc.sql("select clock_timestamp()").query(Timestamp.class).single().toInstant();
    }
}
