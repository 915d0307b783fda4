package io.railyard.partner;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Partners and their API keys. A key is {@code ryk_} + 32 random bytes (base64url): far too much entropy to guess, so a
 * fast SHA-256 is the right hash (a slow password hash would only slow every request). The plain key is returned once.
 *
 * <p>A key just found active is remembered for {@code railyard.partners.active-key-ttl}, so a partner's stream of
 * requests does not cost a database round trip each. Revoking a key forgets it on this hub when the revocation
 * commits; another hub of the cluster stops accepting it when its memory of the key expires. Unknown and revoked keys
 * are never remembered: a guess always reaches the database.
 */
@Service
public class Partners {

    static final String KEY_PREFIX = "ryk_";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final JdbcClient jdbc;
    /** Active keys by the hex of their hash. */
    private final Cache<String, PartnerPrincipal> active;

    public Partners(JdbcClient jdbc, @Value("${railyard.partners.active-key-ttl:PT5S}") Duration activeKeyTtl) {
        this.jdbc = jdbc;
        this.active = Caffeine.newBuilder().expireAfterWrite(activeKeyTtl).maximumSize(100_000).build();
    }

    @Transactional
    public Partner create(String name) {
        Partner partner = new Partner(UUID.randomUUID(), name, Instant.now());
        jdbc.sql("insert into partners (id, name, created_at) values (?, ?, ?)")
                .params(partner.id(), partner.name(), java.sql.Timestamp.from(partner.createdAt())).update();
        return partner;
    }

    public Optional<Partner> find(UUID id) {
        return jdbc.sql("select id, name, created_at from partners where id = ?").param(id)
                .query((rs, n) -> new Partner(rs.getObject("id", UUID.class), rs.getString("name"),
                        rs.getTimestamp("created_at").toInstant()))
                .optional();
    }

    public Optional<Partner> findByName(String name) {
        return jdbc.sql("select id from partners where name = ?").param(name).query(UUID.class).optional()
                .flatMap(this::find);
    }

    public List<Partner> list() {
        return jdbc.sql("select id, name, created_at from partners order by created_at")
                .query((rs, n) -> new Partner(rs.getObject("id", UUID.class), rs.getString("name"),
                        rs.getTimestamp("created_at").toInstant()))
                .list();
    }

    /** Issues a new random key for the partner. */
    @Transactional
    public IssuedKey issueKey(UUID partnerId) {
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        return storeKey(partnerId, KEY_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret));
    }

    /** Registers a key chosen by the operator (the local demo partner's well-known key). */
    @Transactional
    public IssuedKey storeKey(UUID partnerId, String plainKey) {
        UUID id = UUID.randomUUID();
        String prefix = plainKey.substring(0, Math.min(12, plainKey.length()));
        jdbc.sql("insert into api_keys (id, partner_id, prefix, key_hash) values (?, ?, ?, ?)")
                .params(id, partnerId, prefix, hash(plainKey)).update();
        return new IssuedKey(id, partnerId, prefix, plainKey);
    }

    /** Revokes a key of the partner; returns false when the partner has no such active key. */
    @Transactional
    public boolean revokeKey(UUID partnerId, UUID keyId) {
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
            @Override
            public void afterCommit() {
                active.asMap().values().removeIf(principal -> principal.keyId().equals(keyId));
            }
        });
        return jdbc.sql("update api_keys set revoked_at = now() where id = ? and partner_id = ? and revoked_at is null")
                .params(keyId, partnerId).update() == 1;
    }

    public List<KeyInfo> keys(UUID partnerId) {
        return jdbc.sql("select id, prefix, created_at, revoked_at from api_keys where partner_id = ? order by created_at")
                .param(partnerId)
                .query((rs, n) -> new KeyInfo(rs.getObject("id", UUID.class), rs.getString("prefix"),
                        rs.getTimestamp("created_at").toInstant(),
                        rs.getTimestamp("revoked_at") == null ? null : rs.getTimestamp("revoked_at").toInstant()))
                .list();
    }

    public boolean hasKey(String plainKey) {
        return jdbc.sql("select count(*) from api_keys where key_hash = ?").param(hash(plainKey))
                .query(Long.class).single() > 0;
    }

    /** The partner an active key belongs to. */
    public Optional<PartnerPrincipal> authenticate(String plainKey) {
        if (plainKey == null || !plainKey.startsWith(KEY_PREFIX)) {
            return Optional.empty();
        }
        byte[] hash = hash(plainKey);
        String hex = HexFormat.of().formatHex(hash);
        PartnerPrincipal remembered = active.getIfPresent(hex);
        if (remembered != null) {
            return Optional.of(remembered);
        }
        Optional<PartnerPrincipal> found = jdbc.sql("""
                select k.id as key_id, p.id as partner_id, p.name from api_keys k join partners p on p.id = k.partner_id
                where k.key_hash = ? and k.revoked_at is null""")
                .param(hash)
                .query((rs, n) -> new PartnerPrincipal(rs.getObject("partner_id", UUID.class), rs.getString("name"),
                        rs.getObject("key_id", UUID.class)))
                .optional();
        found.ifPresent(principal -> active.put(hex, principal));
        return found;
    }

    static byte[] hash(String plainKey) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(plainKey.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JVM", e);
        }
    }

    public record Partner(UUID id, String name, Instant createdAt) {
    }

    /** A freshly issued key: {@code key} is the only time the secret is shown. */
    public record IssuedKey(UUID id, UUID partnerId, String prefix, String key) {
    }

    public record KeyInfo(UUID id, String prefix, Instant createdAt, Instant revokedAt) {
    }
}
