/**
 * Verifying Railyard webhooks on the receiving side, following the Standard Webhooks specification
 * (https://www.standardwebhooks.com): {@link io.railyard.webhook.verify.WebhookVerifier}.
 *
 * <p>This package depends on the JDK only (no Spring, no Camel, no JSON library): partners may copy its two files into
 * their code base as they are. A test keeps it that way.
 */
package io.railyard.webhook.verify;
