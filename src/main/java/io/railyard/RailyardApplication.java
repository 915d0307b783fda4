package io.railyard;

import java.time.Clock;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.context.annotation.Bean;

/** The Railyard settlement hub: partners' transfers → ledger → Kafka → rails. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class RailyardApplication {

    /** The hub's one clock: business logic asks it for "now", so tests can move time. */
    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }

    public static void main(String[] args) {
        SpringApplication.run(RailyardApplication.class, args);
    }
}
