package io.railyard.idempotency;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.railyard.api.ApiErrors;
import io.railyard.api.ApiProblem;
import io.railyard.api.Problem;
import io.railyard.api.WriteAdmission;
import io.railyard.ledger.LedgerException;
import io.railyard.outbox.AtCommit;
import io.railyard.outbox.AtCommit.Statement;
import io.railyard.partner.Tenancy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.regex.Pattern;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.PreparedStatementCallback;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.ConnectionHolder;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The {@code Idempotency-Key} header (IETF draft "The Idempotency-Key HTTP Header Field") for every write.
 *
 * <p>The write runs inside one transaction that first takes an advisory lock on (caller, key): a concurrent duplicate
 * finds it taken and gets 409. A stored record for the key is replayed (status and body, success or client error, with
 * {@code Idempotent-Replayed: true}) when the request is the same, and refused with 422 when it differs. Otherwise the
 * write runs and its response is stored in the same transaction as its effect, so a crash leaves both or neither (among
 * the transaction's {@link AtCommit last writes}: nothing reads it back before the commit).
 * Client errors are stored (after rolling back to a savepoint); server errors are not, so a retry can succeed.
 * Every write waits its turn in {@link WriteAdmission} before its transaction begins.
 */
@Component("idempotency")
public class Idempotency {

    public static final String HEADER = "Idempotency-Key";
    public static final String REPLAYED = "Idempotent-Replayed";
    private static final Pattern KEY = Pattern.compile("[\\x21-\\x7e]{1,255}");
    private static final String SAVEPOINT = "railyard_idempotent_write";
    private static final String CLAIM = """
            select pg_try_advisory_xact_lock(hashtextextended(?, 0));
            select method, path, fingerprint, status_code, content_type, body from idempotency_records
            where scope = ? and idem_key = ? and expires_at > now();
            savepoint %s""".formatted(SAVEPOINT);

    private final JdbcClient jdbc;
    private final JdbcTemplate jdbcTemplate;
    private final TransactionTemplate tx;
    private final ObjectMapper canonical;
    private final Duration retention;
    private final ApiErrors apiErrors;
    private final WriteAdmission admission;
    private final AtCommit atCommit;

    public Idempotency(JdbcClient jdbc, JdbcTemplate jdbcTemplate, TransactionTemplate tx, ObjectMapper json,
            ApiErrors apiErrors, WriteAdmission admission, AtCommit atCommit,
            @Value("${railyard.idempotency.retention:24h}") Duration retention) {
        this.jdbc = jdbc;
        this.atCommit = atCommit;
        this.admission = admission;
        this.jdbcTemplate = jdbcTemplate;
        this.apiErrors = apiErrors;
        this.tx = tx;
        this.canonical = json.copy().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
        this.retention = retention;
    }

    /** The write needs a key: without one it is refused with 400. */
    public Processor required(Processor write) {
        return exchange -> run(exchange, write, true);
    }

    /** The key is honoured when sent; without one the write simply runs. */
    public Processor optional(Processor write) {
        return exchange -> run(exchange, write, false);
    }

    private void run(Exchange exchange, Processor write, boolean required) throws Exception {
        String key = exchange.getIn().getHeader(HEADER, String.class);
        if (key == null) {
            if (required) {
                throw ApiProblem.badRequest("idempotency_key_missing", "this route needs an Idempotency-Key header",
                        HEADER);
            }
            admission.run(() -> tx.executeWithoutResult(status -> process(write, exchange)));
            return;
        }
        if (!KEY.matcher(key).matches()) {
            throw ApiProblem.badRequest("idempotency_key_invalid", "1 to 255 visible ASCII characters", HEADER);
        }
        String scope = Tenancy.scopeOf(exchange);
        String method = exchange.getIn().getHeader(Exchange.HTTP_METHOD, String.class);
        String path = exchange.getIn().getHeader(Exchange.HTTP_PATH, String.class);
        byte[] fingerprint = fingerprint(method, path, exchange);
        admission.run(() -> tx.executeWithoutResult(status -> {
            Claim claim = claim(scope, key);
            if (!claim.mine()) {
                throw new ApiProblem(Problem.of(409, "idempotency_request_in_progress", "Conflict",
                        "a request with this Idempotency-Key is still being processed; retry later", HEADER));
            }
            if (claim.stored() != null) {
                replay(exchange, claim.stored(), fingerprint);
                return;
            }
            try {
                write.process(exchange);
            } catch (ApiProblem | LedgerException refused) {
                undoWrite();
                apiErrors.respondWith(exchange, ApiErrors.toProblem(refused));
            } catch (Exception e) {
                throw e instanceof RuntimeException runtime ? runtime : new IllegalStateException(e);
            }
            int code = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, 200, Integer.class);
            if (code < 500) {
                Statement record = new Statement("""
                        insert into idempotency_records (scope, idem_key, method, path, fingerprint, status_code,
                            content_type, body, expires_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                        Arrays.asList(scope, key, method, path, fingerprint, code,
                                exchange.getMessage().getHeader(Exchange.CONTENT_TYPE, String.class),
                                exchange.getMessage().getBody(String.class),
                                Timestamp.from(Instant.now().plus(retention))));
                atCommit.add(() -> record);
            }
        }));
    }

    private static void process(Processor write, Exchange exchange) {
        try {
            write.process(exchange);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Takes the advisory lock on (caller, key), looks the key up and sets the savepoint a refused write rolls back to:
     * three statements sent in one round trip. Each runs with its own snapshot, so the look-up sees what a holder of
     * the lock committed before it was released. Without the lock the look-up is ignored.
     */
    private Claim claim(String scope, String key) {
        return jdbcTemplate.execute(CLAIM, (PreparedStatementCallback<Claim>) statement -> {
            statement.setString(1, scope + " " + key); // keys hold no spaces: unambiguous
            statement.setString(2, scope);
            statement.setString(3, key);
            statement.execute();
            boolean mine;
            try (ResultSet lock = statement.getResultSet()) {
                mine = lock.next() && lock.getBoolean(1);
            }
            statement.getMoreResults();
            try (ResultSet rs = statement.getResultSet()) {
                Stored stored = !rs.next() ? null : new Stored(rs.getString("method"), rs.getString("path"),
                        rs.getBytes("fingerprint"), rs.getInt("status_code"), rs.getString("content_type"),
                        rs.getString("body"));
                return new Claim(mine, stored);
            }
        });
    }

    /**
     * Rolls the refused write back to the claim's savepoint, with the last writes it added (its events), and clears
     * the rollback-only mark its exception left on the transaction, as Spring's own savepoints do
     * ({@code JdbcTransactionObjectSupport.rollbackToSavepoint}).
     */
    private void undoWrite() {
        jdbc.sql("rollback to savepoint " + SAVEPOINT).update();
        atCommit.discardAll();
        ((ConnectionHolder) TransactionSynchronizationManager.getResource(jdbcTemplate.getDataSource()))
                .resetRollbackOnly();
    }

    private static void replay(Exchange exchange, Stored stored, byte[] fingerprint) {
        if (!Arrays.equals(stored.fingerprint(), fingerprint)) {
            throw new ApiProblem(Problem.of(422, "idempotency_key_reused", "Idempotency key reused",
                    "this Idempotency-Key was used for a different request (" + stored.method() + " " + stored.path()
                            + " with another body)", HEADER));
        }
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, stored.statusCode());
        if (stored.contentType() != null) {
            exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, stored.contentType());
        }
        exchange.getMessage().setHeader(REPLAYED, "true");
        exchange.getMessage().setBody(stored.body());
    }

    /** SHA-256 of method, path and the body in canonical form (JSON with sorted keys; other bodies byte for byte). */
    private byte[] fingerprint(String method, String path, Exchange exchange) {
        // bytes, not text: a CSV file in another encoding must reach the CSV reader (and its 4xx), not fail here
        byte[] body = exchange.getIn().getBody(byte[].class);
        // later readers of the body get the same bytes
        exchange.getIn().setBody(body);
        String contentType = exchange.getIn().getHeader(Exchange.CONTENT_TYPE, "", String.class);
        byte[] canonicalBody = body == null ? new byte[0] : body;
        if (contentType.toLowerCase().startsWith("application/json") && body != null && body.length > 0) {
            try {
                JsonNode tree = canonical.readTree(body);
                if (tree != null) {
                    canonicalBody = canonical.writeValueAsBytes(canonical.treeToValue(tree, Object.class));
                }
            } catch (IOException e) {
                canonicalBody = body; // malformed: the write itself will say so, and a retry must match byte for byte
            }
        }
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update((method + " " + path + "\n").getBytes(StandardCharsets.UTF_8));
            return digest.digest(canonicalBody);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private record Claim(boolean mine, Stored stored) {
    }

    private record Stored(String method, String path, byte[] fingerprint, int statusCode, String contentType,
            String body) {
    }
}
