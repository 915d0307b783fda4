package io.railyard;

import java.time.Clock;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.web.servlet.error.ErrorMvcAutoConfiguration;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.context.annotation.Bean;

/**
 * The Railyard settlement hub: partners' transfers → ledger → Kafka → rails. Spring Boot's error pages are left out:
 * an error no handler answered (an unknown route, a method a route does not take, an exception) reaches the problem
 * valve ({@code io.railyard.api.TomcatProblems}), which answers problem+json as every other refusal does, where Boot's
 * /error page answered JSON of another shape.
 */
@SpringBootApplication(exclude = ErrorMvcAutoConfiguration.class)
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
