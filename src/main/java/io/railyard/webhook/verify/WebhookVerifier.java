package io.railyard.webhook.verify;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Checks the signature of a Railyard webhook, as the Standard Webhooks specification defines it:
 * <ul>
 * <li>headers {@code webhook-id} (the event id: use it to ignore duplicates), {@code webhook-timestamp} (Unix seconds)
 * and {@code webhook-signature}: space-separated {@code v1,<base64 HMAC-SHA256>} entries (two of them while a rotated
 * secret is still valid; any one matching is enough);</li>
 * <li>the HMAC key is the base64 part of the {@code whsec_...} secret, decoded; the signed content is
 * {@code <webhook-id>.<webhook-timestamp>.<raw body>};</li>
 * <li>a timestamp further than the tolerance (5 minutes by default) from now is refused, against replays.</li>
 * </ul>
 * Verify the raw body exactly as received, before any JSON parsing: a re-serialised body does not match.
 *
 * <pre>{@code
 * WebhookVerifier verifier = new WebhookVerifier(System.getenv("RAILYARD_WEBHOOK_SECRET"));
 * verifier.verify(rawBodyBytes, id, timestamp, signature);   // throws WebhookVerificationException
 * }</pre>
 *
 * Depends on the JDK only. Thread-safe.
 */
public final class WebhookVerifier {

    public static final String ID_HEADER = "webhook-id";
    public static final String TIMESTAMP_HEADER = "webhook-timestamp";
    public static final String SIGNATURE_HEADER = "webhook-signature";
    public static final String SECRET_PREFIX = "whsec_";
    public static final Duration DEFAULT_TOLERANCE = Duration.ofMinutes(5);

    private static final String ALGORITHM = "HmacSHA256";

    private final byte[] key;
    private final Duration tolerance;
    private final Clock clock;

    /** A verifier for one endpoint secret ({@code whsec_...}), with the default 5-minute tolerance. */
    public WebhookVerifier(String secret) {
        this(secret, DEFAULT_TOLERANCE, Clock.systemUTC());
    }

    public WebhookVerifier(String secret, Duration tolerance) {
        this(secret, tolerance, Clock.systemUTC());
    }

    public WebhookVerifier(String secret, Duration tolerance, Clock clock) {
        this.key = decodeSecret(secret);
        if (tolerance == null || tolerance.isNegative()) {
            throw new IllegalArgumentException("the tolerance is a positive duration");
        }
        this.tolerance = tolerance;
        this.clock = clock;
    }

    /**
     * Verifies a webhook given its headers as a map (any letter case in the names, e.g. a servlet's or the JDK
     * server's headers).
     */
    public void verify(byte[] rawBody, Map<String, ? extends Collection<String>> headers)
            throws WebhookVerificationException {
        verify(rawBody, header(headers, ID_HEADER, false), header(headers, TIMESTAMP_HEADER, false),
                header(headers, SIGNATURE_HEADER, true));
    }

    /** Verifies a webhook given the three header values. */
    public void verify(byte[] rawBody, String webhookId, String webhookTimestamp, String webhookSignature)
            throws WebhookVerificationException {
        if (isBlank(webhookId) || isBlank(webhookTimestamp) || isBlank(webhookSignature)) {
            throw new WebhookVerificationException("missing webhook-id, webhook-timestamp or webhook-signature header");
        }
        long timestamp;
        try {
            timestamp = Long.parseLong(webhookTimestamp.trim());
        } catch (NumberFormatException e) {
            throw new WebhookVerificationException("webhook-timestamp is not a Unix time in seconds");
        }
        long now = clock.instant().getEpochSecond();
        if (timestamp < now - tolerance.getSeconds()) {
            throw new WebhookVerificationException("webhook-timestamp is too old");
        }
        if (timestamp > now + tolerance.getSeconds()) {
            throw new WebhookVerificationException("webhook-timestamp is too far in the future");
        }
        byte[] expected = hmac(key, signedContent(webhookId.trim(), timestamp, rawBody == null ? new byte[0] : rawBody));
        for (String entry : webhookSignature.trim().split(" +")) {
            int comma = entry.indexOf(',');
            if (comma < 0 || !"v1".equals(entry.substring(0, comma))) {
                continue; // another scheme (e.g. v1a, asymmetric): not ours to check
            }
            byte[] candidate;
            try {
                candidate = Base64.getDecoder().decode(entry.substring(comma + 1));
            } catch (IllegalArgumentException e) {
                continue;
            }
            if (MessageDigest.isEqual(expected, candidate)) {
                return;
            }
        }
        throw new WebhookVerificationException("no matching signature");
    }

    /**
     * The {@code webhook-signature} entry for a message: {@code v1,<base64>}. The hub signs with it; partners may use it
     * to build test requests.
     */
    public static String sign(String secret, String webhookId, long timestampSeconds, byte[] rawBody) {
        return "v1," + Base64.getEncoder().encodeToString(
                hmac(decodeSecret(secret), signedContent(webhookId, timestampSeconds, rawBody)));
    }

    private static byte[] signedContent(String id, long timestamp, byte[] body) {
        byte[] prefix = (id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8);
        byte[] content = new byte[prefix.length + body.length];
        System.arraycopy(prefix, 0, content, 0, prefix.length);
        System.arraycopy(body, 0, content, prefix.length, body.length);
        return content;
    }

    private static byte[] hmac(byte[] key, byte[] content) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(key, ALGORITHM));
            return mac.doFinal(content);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HMAC-SHA256 is unavailable", e);
        }
    }

    private static byte[] decodeSecret(String secret) {
        if (secret == null || secret.isBlank()) {
            throw new IllegalArgumentException("the endpoint's signing secret (whsec_...) is required");
        }
        String encoded = secret.startsWith(SECRET_PREFIX) ? secret.substring(SECRET_PREFIX.length()) : secret;
        try {
            byte[] key = Base64.getDecoder().decode(encoded);
            if (key.length == 0) {
                throw new IllegalArgumentException("empty signing secret");
            }
            return key;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the signing secret is whsec_ followed by base64", e);
        }
    }

    /** A header's value; a signature sent as several header lines is one list. */
    private static String header(Map<String, ? extends Collection<String>> headers, String name, boolean joined) {
        for (Map.Entry<String, ? extends Collection<String>> header : headers.entrySet()) {
            if (header.getKey() != null && header.getKey().toLowerCase(Locale.ROOT).equals(name)
                    && header.getValue() != null && !header.getValue().isEmpty()) {
                return joined ? String.join(" ", header.getValue()) : header.getValue().iterator().next();
            }
        }
        return null;
    }

    private static boolean isBlank(String value) {
        return value == null || value.isBlank();
    }
}
