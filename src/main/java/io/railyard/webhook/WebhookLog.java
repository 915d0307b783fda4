package io.railyard.webhook;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Delivery log retention, driven by the {@code webhook.log.purge} Quartz route (once per cluster): attempts older than
 * {@code railyard.webhooks.retention} (30 days) are deleted, and so are deliveries untouched for as long (with their
 * remaining attempts), in chunks so no transaction grows large.
 */
@Component("webhookLog")
public class WebhookLog {

    private static final Logger log = LoggerFactory.getLogger(WebhookLog.class);
    private static final int CHUNK = 5000;

    private final JdbcClient jdbc;
    private final WebhookSettings settings;

    WebhookLog(JdbcClient jdbc, WebhookSettings settings) {
        this.jdbc = jdbc;
        this.settings = settings;
    }

    /** Returns {attempts, deliveries} deleted. */
    public long[] purge() {
        long retentionMillis = settings.retention().toMillis();
        long attempts = 0;
        int deleted;
        do {
            deleted = jdbc.sql("""
                    delete from webhook_attempts where id in (select id from webhook_attempts
                        where attempted_at < now() - ? * interval '1 millisecond' limit ?)""")
                    .params(retentionMillis, CHUNK).update();
            attempts += deleted;
        } while (deleted == CHUNK);
        long deliveries = 0;
        do {
            deleted = jdbc.sql("""
                    delete from webhook_deliveries where id in (select id from webhook_deliveries
                        where updated_at < now() - ? * interval '1 millisecond'
                          and (lease_until is null or lease_until < now()) limit ?)""")
                    .params(retentionMillis, CHUNK).update();
            deliveries += deleted;
        } while (deleted == CHUNK);
        if (attempts + deliveries > 0) {
            log.info("Webhook log purge: {} attempts and {} deliveries older than {} deleted", attempts, deliveries,
                    settings.retention());
        }
        return new long[] {attempts, deliveries};
    }
}
