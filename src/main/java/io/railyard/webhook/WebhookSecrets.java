package io.railyard.webhook;

import io.railyard.webhook.verify.WebhookVerifier;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Endpoint signing secrets: {@code whsec_} + base64 of 32 random bytes (Standard Webhooks). HMAC signing needs the
 * secret itself, so it is stored, sealed with AES-256-GCM when {@code railyard.webhooks.secret-key} is set
 * ({@code aesgcm:<base64 iv+ciphertext>}), else as is ({@code plain:...}, with a warning at start). Sealed and plain
 * values can be read side by side, so a key can be introduced later. Secrets are never logged.
 */
@Component
class WebhookSecrets {

    private static final Logger log = LoggerFactory.getLogger(WebhookSecrets.class);
    private static final String SEALED = "aesgcm:";
    private static final String PLAIN = "plain:";
    private static final int IV_BYTES = 12;

    private final SecureRandom random = new SecureRandom();
    private final SecretKeySpec key;

    WebhookSecrets(WebhookSettings settings) {
        this.key = key(settings.secretKey());
        if (key == null) {
            log.warn("railyard.webhooks.secret-key is not set: webhook signing secrets are stored unencrypted");
        }
    }

    /** A new secret, as shown to the partner once. */
    String generate() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return WebhookVerifier.SECRET_PREFIX + Base64.getEncoder().encodeToString(bytes);
    }

    /** The stored form of a secret. */
    String seal(String secret) {
        if (key == null) {
            return PLAIN + secret;
        }
        try {
            byte[] iv = new byte[IV_BYTES];
            random.nextBytes(iv);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, iv));
            byte[] sealed = cipher.doFinal(secret.getBytes(StandardCharsets.UTF_8));
            byte[] out = new byte[IV_BYTES + sealed.length];
            System.arraycopy(iv, 0, out, 0, IV_BYTES);
            System.arraycopy(sealed, 0, out, IV_BYTES, sealed.length);
            return SEALED + Base64.getEncoder().encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot seal a webhook secret", e);
        }
    }

    /** The secret of a stored value. */
    String open(String stored) {
        if (stored.startsWith(PLAIN)) {
            return stored.substring(PLAIN.length());
        }
        if (!stored.startsWith(SEALED)) {
            throw new IllegalStateException("unknown webhook secret format");
        }
        if (key == null) {
            throw new IllegalStateException("a webhook secret is sealed but railyard.webhooks.secret-key is not set");
        }
        try {
            byte[] in = Base64.getDecoder().decode(stored.substring(SEALED.length()));
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, in, 0, IV_BYTES));
            return new String(cipher.doFinal(in, IV_BYTES, in.length - IV_BYTES), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalStateException("a webhook secret cannot be opened with railyard.webhooks.secret-key "
                    + "(was it sealed with another key?)");
        }
    }

    private static SecretKeySpec key(String configured) {
        if (configured == null || configured.isBlank()) {
            return null;
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(configured.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("railyard.webhooks.secret-key must be base64 (of 32 bytes)");
        }
        if (bytes.length != 32) {
            throw new IllegalStateException("railyard.webhooks.secret-key must be 32 bytes (base64: 44 characters), got "
                    + bytes.length);
        }
        return new SecretKeySpec(bytes, "AES");
    }
}
