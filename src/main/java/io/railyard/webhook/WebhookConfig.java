package io.railyard.webhook;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Configuration;

/** Binds {@code railyard.webhooks.*}. */
@Configuration
@EnableConfigurationProperties(WebhookSettings.class)
class WebhookConfig {
}
