package io.railyard;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** The Railyard settlement hub: partners' transfers → ledger → Kafka → rails. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class RailyardApplication {

    public static void main(String[] args) {
        SpringApplication.run(RailyardApplication.class, args);
    }
}
