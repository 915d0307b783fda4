package io.railyard.connector;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.railyard.HubTest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/** A rail's Retry-After on 429/503 sets the delay of the next redelivery of a rail call ({@code rail-errors}). */
class RailRetryAfterTest extends HubTest {

    @Autowired
    CamelContext camel;
    @Autowired
    ProducerTemplate producer;

    @Test
    void aRailCallThrottledWithRetryAfterIsRetriedNoSoonerThanTheRailAsked() throws Exception {
        List<Long> arrivals = new CopyOnWriteArrayList<>();
        HttpServer rail = HttpServer.create(new InetSocketAddress("localhost", 0), 0);
        rail.createContext("/payouts", call -> {
            arrivals.add(System.nanoTime());
            byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
            if (arrivals.size() == 1) {
                call.getResponseHeaders().add("Retry-After", "2");
                call.sendResponseHeaders(429, body.length);
            } else {
                call.sendResponseHeaders(200, body.length);
            }
            call.getResponseBody().write(body);
            call.close();
        });
        rail.start();
        try {
            camel.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("direct:test.retry-after").routeId("test.retry-after").routeConfigurationId("rail-errors")
                            .to("http://localhost:" + rail.getAddress().getPort() + "/payouts?httpMethod=POST");
                }
            });
            producer.requestBody("direct:test.retry-after", "{}");
        } finally {
            rail.stop(0);
            camel.removeRoute("test.retry-after");
        }
        assertThat(arrivals).hasSize(2);
        // the tests' backoff starts at 50 ms (HubTest): only the rail's Retry-After can explain two seconds
        assertThat(Duration.ofNanos(arrivals.get(1) - arrivals.get(0))).isGreaterThanOrEqualTo(Duration.ofMillis(1990));
    }

    @Test
    void theDelayIsWhatTheRailAskedCappedAndOnlyOnThrottlingAnswers() {
        RailRetryAfter retryAfter = new RailRetryAfter(Duration.ofSeconds(30));
        assertThat(delayAfter(retryAfter, 429, "7")).isEqualTo(7_000L);
        String inTenSeconds = DateTimeFormatter.RFC_1123_DATE_TIME.format(
                Instant.now().plusSeconds(10).atOffset(ZoneOffset.UTC));
        assertThat(delayAfter(retryAfter, 503, inTenSeconds)).isBetween(8_000L, 10_000L);
        assertThat(delayAfter(retryAfter, 429, "3600")).as("capped").isEqualTo(30_000L);
        assertThat(delayAfter(retryAfter, 429, "soon")).as("unreadable: backoff").isNull();
        assertThat(delayAfter(retryAfter, 500, "7")).as("not a throttling answer").isNull();
    }

    private Long delayAfter(RailRetryAfter retryAfter, int status, String header) {
        Exchange exchange = new DefaultExchange(camel);
        exchange.getMessage().setHeader(Exchange.REDELIVERY_DELAY, 123L); // left by an earlier failure
        exchange.setProperty(Exchange.EXCEPTION_CAUGHT, new HttpOperationFailedException("http://rail/payouts", status,
                "rail says wait", null, Map.of("retry-after", header), ""));
        retryAfter.process(exchange);
        return exchange.getMessage().getHeader(Exchange.REDELIVERY_DELAY, Long.class);
    }
}
