package io.railyard.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.railyard.HubTest;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A transaction's last writes, on the hub's PostgreSQL through a data source that counts the statements sent (each is
 * one round trip): they are sent together, once, just before the commit, and commit or roll back with the rest.
 */
class AtCommitTest extends HubTest {

    @Autowired
    DataSource dataSource;
    @Autowired
    ObjectMapper json;

    final AtomicInteger statementsSent = new AtomicInteger();
    JdbcClient counted;
    TransactionTemplate tx;
    AtCommit atCommit;
    Outbox outbox;

    @BeforeEach
    void countStatements() {
        DataSource counting = new DelegatingDataSource(dataSource) {
            @Override
            public Connection getConnection() throws SQLException {
                return counting(super.getConnection());
            }
        };
        counted = JdbcClient.create(counting);
        tx = new TransactionTemplate(new DataSourceTransactionManager(counting));
        atCommit = new AtCommit(counted);
        outbox = new Outbox(atCommit, json);
    }

    @Test
    void theLastWritesAreSentInOneStatementJustBeforeTheCommit() {
        String topic = "railyard.test.at-commit-" + UUID.randomUUID() + ".v1";
        String key = UUID.randomUUID().toString();
        int[] sentBeforeCommit = new int[1];
        tx.executeWithoutResult(status -> {
            outbox.append(topic, "k", "test.first", Map.of());
            atCommit.add(() -> idempotencyRecord(key));
            outbox.append(topic, "k", "test.second", Map.of()); // the events' part keeps growing until the commit
            // read in the transaction itself: it would see the writes had they been sent
            assertThat(eventTypes(counted, topic)).as("nothing is sent before the commit").isEmpty();
            assertThat(records(counted, key)).isZero();
            sentBeforeCommit[0] = statementsSent.get();
        });

        assertThat(statementsSent.get() - sentBeforeCommit[0]).isEqualTo(1);
        assertThat(eventTypes(jdbc, topic)).containsExactly("test.first", "test.second");
        assertThat(records(jdbc, key)).isOne();
    }

    @Test
    void writesDiscardedAfterARollbackToASavepointAreNotSentAndLaterOnesAre() {
        String topic = "railyard.test.at-commit-" + UUID.randomUUID() + ".v1";
        String key = UUID.randomUUID().toString();
        tx.executeWithoutResult(status -> {
            Object savepoint = status.createSavepoint();
            outbox.append(topic, "k", "test.undone", Map.of());
            status.rollbackToSavepoint(savepoint);
            atCommit.discardAll();
            atCommit.add(() -> idempotencyRecord(key));
            outbox.append(topic, "k", "test.kept", Map.of());
        });

        assertThat(eventTypes(jdbc, topic)).containsExactly("test.kept");
        assertThat(records(jdbc, key)).isOne();
    }

    @Test
    void aPartSentEarlyGoesAtOnceAloneAndNotAgainAtTheCommit() {
        String topic = "railyard.test.at-commit-" + UUID.randomUUID() + ".v1";
        String key = UUID.randomUUID().toString();
        int[] sentBeforeCommit = new int[1];
        tx.executeWithoutResult(status -> {
            outbox.append(topic, "k", "test.last", Map.of());
            atCommit.add(new ReadBack(idempotencyRecord(key)));
            int before = statementsSent.get();
            atCommit.sendEarly(ReadBack.class);
            assertThat(statementsSent.get() - before).isOne();
            assertThat(records(counted, key)).isOne();
            assertThat(eventTypes(counted, topic)).isEmpty();
            sentBeforeCommit[0] = statementsSent.get();
        });

        // the record again would break its unique key: only the events go at the commit
        assertThat(statementsSent.get() - sentBeforeCommit[0]).isOne();
        assertThat(eventTypes(jdbc, topic)).containsExactly("test.last");
        assertThat(records(jdbc, key)).isOne();
    }

    @Test
    void aTransactionThatAddsNothingSendsNothingAtItsCommit() {
        int[] sentBeforeCommit = new int[1];
        tx.executeWithoutResult(status -> {
            counted.sql("select 1").query(Integer.class).single();
            sentBeforeCommit[0] = statementsSent.get();
        });

        assertThat(statementsSent.get()).isEqualTo(sentBeforeCommit[0]);
    }

    @Test
    void aLastWriteThatFailsRollsTheWholeTransactionBack() {
        String topic = "railyard.test.at-commit-" + UUID.randomUUID() + ".v1";
        String key = UUID.randomUUID().toString();

        assertThatThrownBy(() -> tx.executeWithoutResult(status -> {
            outbox.append(topic, "k", "test.rolled-back", Map.of());
            atCommit.add(() -> idempotencyRecord(key));
            atCommit.add(() -> idempotencyRecord(key)); // the same (scope, key) twice: a unique violation
        })).isInstanceOf(DataIntegrityViolationException.class);

        assertThat(eventTypes(jdbc, topic)).isEmpty();
        assertThat(records(jdbc, key)).isZero();
    }

    @Test
    void aWriteAddedOnceTheLastWritesAreSentIsRefused() {
        String topic = "railyard.test.at-commit-" + UUID.randomUUID() + ".v1";

        assertThatThrownBy(() -> tx.executeWithoutResult(status -> atCommit.add(() -> {
            outbox.append(topic, "k", "test.too-late", Map.of());
            return null;
        }))).isInstanceOf(IllegalStateException.class).hasMessageContaining("after its transaction's last writes");
        assertThat(eventTypes(jdbc, topic)).isEmpty();
    }

    @Test
    void aWriteOutsideATransactionIsRefused() {
        assertThatThrownBy(() -> atCommit.add(() -> null)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("need a transaction");
    }

    /** A part the transaction reads back before its commit. */
    private record ReadBack(AtCommit.Statement statement) implements AtCommit.Part {
    }

    private static AtCommit.Statement idempotencyRecord(String key) {
        return new AtCommit.Statement("""
                insert into idempotency_records (scope, idem_key, method, path, fingerprint, status_code,
                    content_type, body, expires_at) values ('test', ?, 'POST', '/test', '\\x00', 201, null, '{}',
                    now() + interval '1 hour')""", List.of(key));
    }

    private static List<String> eventTypes(JdbcClient jdbc, String topic) {
        return jdbc.sql("select event_type from outbox_events where topic = ? order by id")
                .param(topic).query(String.class).list();
    }

    private static int records(JdbcClient jdbc, String key) {
        return jdbc.sql("select count(*) from idempotency_records where scope = 'test' and idem_key = ?")
                .param(key).query(Integer.class).single();
    }

    /** The connection, counting the statements prepared on it: pgjdbc sends each in one round trip. */
    private Connection counting(Connection connection) {
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("prepareStatement") || method.getName().equals("createStatement")) {
                        statementsSent.incrementAndGet();
                    }
                    try {
                        return method.invoke(connection, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
