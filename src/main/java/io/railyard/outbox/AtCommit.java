package io.railyard.outbox;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * The writes a transaction sends last, all in one round trip just before it commits: its outbox events and an
 * idempotent write's stored response, say. Nothing in the transaction reads them back, so they need not be sent
 * earlier, and each round trip spared is a wake-up of the hub and of PostgreSQL per write.
 *
 * <p>A part builds its statement only then, so it can keep growing until the commit (a poll's events). A part the
 * transaction is about to read back is sent early ({@link #sendEarly}). An inner {@code REQUIRES_NEW} transaction has
 * writes of its own.
 */
@Component
public class AtCommit {

    private final JdbcClient jdbc;

    public AtCommit(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** A part of the transaction's last writes. */
    public interface Part {
        /** The statement to send, or null when there is nothing to write. */
        Statement statement();
    }

    /** One SQL statement and its parameters, in order. */
    public record Statement(String sql, List<Object> params) {
    }

    /** Adds a part to the current transaction's last writes. */
    public void add(Part part) {
        writes().parts.add(part);
    }

    /** The current transaction's part of this type, added by {@code create} if it has none yet. */
    public <P extends Part> P part(Class<P> type, Supplier<P> create) {
        Writes writes = writes();
        for (Part part : writes.parts) {
            if (type.isInstance(part)) {
                return type.cast(part);
            }
        }
        P part = create.get();
        writes.parts.add(part);
        return part;
    }

    /**
     * Forgets the writes added so far: the transaction rolled back to a savepoint taken before the first of them
     * ({@code Idempotency}'s refused write, whose events must not be written).
     */
    public void discardAll() {
        writes().parts.clear();
    }

    /**
     * Sends the current transaction's parts of this type now, and forgets them: the transaction is about to read what
     * they write. Nothing happens outside a transaction, or when it has no such part.
     */
    public void sendEarly(Class<? extends Part> type) {
        Writes writes = TransactionSynchronizationManager.isSynchronizationActive() ? registered() : null;
        if (writes == null || writes.sent) {
            return;
        }
        List<Part> early = writes.parts.stream().filter(type::isInstance).toList();
        writes.parts.removeAll(early);
        send(early);
    }

    private Writes writes() {
        if (!TransactionSynchronizationManager.isSynchronizationActive()) {
            throw new IllegalStateException("writes at commit need a transaction");
        }
        Writes writes = registered();
        if (writes == null) {
            writes = new Writes();
            TransactionSynchronizationManager.registerSynchronization(writes);
        } else if (writes.sent) {
            throw new IllegalStateException("a write added after its transaction's last writes were sent");
        }
        return writes;
    }

    private static Writes registered() {
        for (TransactionSynchronization synchronization : TransactionSynchronizationManager.getSynchronizations()) {
            if (synchronization instanceof Writes writes) {
                return writes;
            }
        }
        return null;
    }

    /** The parts' statements in one round trip: pgjdbc sends the statements of one string, with their parameters. */
    private void send(List<Part> parts) {
        List<Statement> statements = parts.stream().map(Part::statement).filter(Objects::nonNull).toList();
        if (statements.isEmpty()) {
            return;
        }
        jdbc.sql(statements.stream().map(Statement::sql).collect(Collectors.joining(";\n")))
                .params(statements.stream().flatMap(statement -> statement.params().stream()).toList())
                .update();
    }

    private final class Writes implements TransactionSynchronization {

        private final List<Part> parts = new ArrayList<>();
        private boolean sent;

        @Override
        public void beforeCommit(boolean readOnly) {
            sent = true;
            send(parts);
        }
    }
}
