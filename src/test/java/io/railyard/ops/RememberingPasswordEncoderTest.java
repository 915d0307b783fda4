package io.railyard.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;
import org.springframework.security.crypto.password.PasswordEncoder;

class RememberingPasswordEncoderTest {

    /** Real BCrypt (low cost, for speed), counting how often it hashes to check a password. */
    private final AtomicInteger slowChecks = new AtomicInteger();
    private final PasswordEncoder bcrypt = new BCryptPasswordEncoder(4) {
        @Override
        public boolean matches(CharSequence rawPassword, String encodedPassword) {
            slowChecks.incrementAndGet();
            return super.matches(rawPassword, encodedPassword);
        }
    };

    @Test
    void aVerifiedPasswordIsNotHashedAgainWhileAWrongOneAlwaysIs() {
        PasswordEncoder encoder = new RememberingPasswordEncoder(bcrypt, Duration.ofMinutes(5), 100);
        String hash = encoder.encode("correct horse");

        assertThat(encoder.matches("correct horse", hash)).isTrue();
        assertThat(encoder.matches("correct horse", hash)).isTrue();
        assertThat(encoder.matches("correct horse", hash)).isTrue();
        assertThat(slowChecks).as("hashed once, then remembered").hasValue(1);

        assertThat(encoder.matches("correct horsf", hash)).isFalse();
        assertThat(encoder.matches("correct horsf", hash)).isFalse();
        assertThat(encoder.matches("", hash)).isFalse();
        assertThat(slowChecks).as("every guess pays the full hash").hasValue(4);
    }

    @Test
    void aNewHashOfTheSamePasswordOrAnotherUsersHashIsVerifiedAfresh() {
        PasswordEncoder encoder = new RememberingPasswordEncoder(bcrypt, Duration.ofMinutes(5), 100);
        String first = encoder.encode("secret");
        String changed = encoder.encode("secret"); // a password set again: new salt, new hash
        String other = encoder.encode("other");

        assertThat(encoder.matches("secret", first)).isTrue();
        assertThat(encoder.matches("secret", changed)).isTrue();
        assertThat(encoder.matches("secret", other)).as("remembered for its own hash only").isFalse();
        assertThat(slowChecks).hasValue(3);
    }

    @Test
    void withoutATimeToRememberEveryCheckHashes() {
        PasswordEncoder encoder = new RememberingPasswordEncoder(bcrypt, Duration.ZERO, 100);
        String hash = encoder.encode("secret");

        assertThat(encoder.matches("secret", hash)).isTrue();
        assertThat(encoder.matches("secret", hash)).isTrue();
        assertThat(slowChecks).hasValue(2);
    }
}
