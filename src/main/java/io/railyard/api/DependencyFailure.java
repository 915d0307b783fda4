package io.railyard.api;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.transaction.TransactionSystemException;

/**
 * Recognises a fault that is the database being out of reach, not the request nor the code: no pooled connection
 * within Hikari's {@code connection-timeout}, a connection refused or cut (SQLState class 08), the server shutting down
 * or starting up (57P01–57P03). Such a request is answered 503 with Retry-After rather than 500: its transaction did
 * not commit, or its answer was lost with the connection, so the partner sends it again with the same
 * Idempotency-Key and it takes effect once.
 */
public final class DependencyFailure {

    private static final Logger log = LoggerFactory.getLogger(DependencyFailure.class);

    private DependencyFailure() {
    }

    /**
     * Whether {@code fault}, or anything in its cause chain, is the database being unreachable. That includes a commit
     * or rollback the driver failed (Spring's TransactionSystemException over a SQLException): once a connection is
     * cut, Hikari closes it and the rollback fails with a bare "Connection is closed", hiding the original fault; the
     * transaction's outcome is then unknown to the hub, which is exactly what a retry with the same key resolves.
     */
    public static boolean in(Throwable fault) {
        for (Throwable t = fault; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof TransactionSystemException && t.getCause() instanceof SQLException) {
                return true;
            }
            if (t instanceof DataAccessResourceFailureException || t instanceof SQLTransientConnectionException
                    || t instanceof SQLNonTransientConnectionException) {
                return true;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08") || sql.getSQLState().startsWith("57P"))) {
                return true;
            }
        }
        return false;
    }

    /** The 503 answer; logged as one line (an outage would otherwise flood the log with identical stack traces). */
    public static Problem problem(Throwable fault) {
        Throwable root = fault;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        log.warn("Answered 503, the database is unreachable: {}", root.getMessage());
        return Problem.unavailable("the database is unreachable; send the request again after Retry-After seconds, "
                + "with the same Idempotency-Key (a write then takes effect once)");
    }
}
