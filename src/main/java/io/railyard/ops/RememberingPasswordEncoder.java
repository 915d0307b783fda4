package io.railyard.ops;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.springframework.security.crypto.password.PasswordEncoder;

/**
 * A slow password hash (BCrypt) that remembers the passwords it has just verified. BCrypt costs tens of milliseconds
 * by design, and HTTP Basic sends the ops password with every ops API call, so a script polling the ops API would
 * spend a core on hashing. A successful check is remembered for {@code ttl} under an HMAC (with a key drawn at start,
 * never stored) of the password and the stored hash: a changed password or hash is verified afresh, and neither the
 * password nor a fast unkeyed hash of it is kept. Failures are never remembered: a guess always pays the full hash.
 */
public final class RememberingPasswordEncoder implements PasswordEncoder {

    private static final String MAC = "HmacSHA256";

    private final PasswordEncoder slow;
    private final SecretKeySpec key;
    private final Cache<String, Boolean> verified;

    public RememberingPasswordEncoder(PasswordEncoder slow, Duration ttl, long capacity) {
        this.slow = slow;
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        this.key = new SecretKeySpec(secret, MAC);
        this.verified = Caffeine.newBuilder().expireAfterWrite(ttl).maximumSize(capacity).build();
    }

    @Override
    public String encode(CharSequence rawPassword) {
        return slow.encode(rawPassword);
    }

    @Override
    public boolean matches(CharSequence rawPassword, String encodedPassword) {
        if (rawPassword == null || encodedPassword == null) {
            return slow.matches(rawPassword, encodedPassword);
        }
        String tag = tag(rawPassword, encodedPassword);
        if (verified.getIfPresent(tag) != null) {
            return true;
        }
        boolean matches = slow.matches(rawPassword, encodedPassword);
        if (matches) {
            verified.put(tag, Boolean.TRUE);
        }
        return matches;
    }

    @Override
    public boolean upgradeEncoding(String encodedPassword) {
        return slow.upgradeEncoding(encodedPassword);
    }

    private String tag(CharSequence rawPassword, String encodedPassword) {
        try {
            Mac mac = Mac.getInstance(MAC);
            mac.init(key);
            mac.update(encodedPassword.getBytes(StandardCharsets.UTF_8));
            mac.update((byte) 0); // a hash holds no NUL: the two parts cannot run into each other
            return HexFormat.of().formatHex(mac.doFinal(rawPassword.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(MAC + " is part of every JVM", e);
        }
    }
}
