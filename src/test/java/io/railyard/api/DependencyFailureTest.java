package io.railyard.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.List;
import org.apache.camel.RuntimeCamelException;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.DeadlockLoserDataAccessException;
import org.springframework.jdbc.CannotGetJdbcConnectionException;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.TransactionSystemException;

/** Which faults are the database being out of reach (503 + Retry-After), as they reach the API's error handling. */
class DependencyFailureTest {

    private static final SQLTransientConnectionException POOL_TIMEOUT = new SQLTransientConnectionException(
            "HikariPool-1 - Connection is not available, request timed out after 5000ms");

    @Test
    void anUnreachableDatabaseIsAnswered503WithRetryAfter() {
        List<Throwable> outages = List.of(
                new CannotGetJdbcConnectionException("Failed to obtain JDBC Connection", POOL_TIMEOUT),
                new CannotCreateTransactionException("Could not open JDBC Connection for transaction", POOL_TIMEOUT),
                new TransactionSystemException("Could not commit JDBC transaction",
                        new SQLException("An I/O error occurred while sending to the backend.", "08006")),
                new RuntimeCamelException(new DataAccessResourceFailureException("PreparedStatementCallback",
                        new SQLException("terminating connection due to administrator command", "57P01"))),
                new IllegalStateException(new SQLException("the database system is starting up", "57P03")),
                // a commit cut by the outage, then the rollback on the connection Hikari has closed meanwhile
                new TransactionSystemException("JDBC rollback failed", new SQLException("Connection is closed")));
        for (Throwable outage : outages) {
            Problem problem = ApiErrors.toProblem(outage);
            assertThat(problem.status()).as(outage.toString()).isEqualTo(503);
            assertThat(problem.code()).isEqualTo("service_unavailable");
            assertThat(problem.type()).isEqualTo("https://railyard.dev/problems/service-unavailable");
            assertThat(problem.retryAfter()).isEqualTo("5");
            assertThat(problem.detail()).doesNotContain("Hikari").doesNotContain("SQL");
        }
    }

    @Test
    void aFaultOfTheRequestOrTheCodeIsNot() {
        assertThat(DependencyFailure.in(new DataIntegrityViolationException("duplicate key",
                new SQLException("duplicate key value violates unique constraint", "23505")))).isFalse();
        assertThat(DependencyFailure.in(new DeadlockLoserDataAccessException("deadlock",
                new SQLException("deadlock detected", "40P01")))).isFalse();
        assertThat(DependencyFailure.in(new IllegalStateException("a bug"))).isFalse();
        assertThat(DependencyFailure.in(new TransactionSystemException("no transaction in progress"))).isFalse();
        assertThat(Problem.of(500, "internal_error", "Internal error", "x", null).retryAfter()).isNull();
    }
}
