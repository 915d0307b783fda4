package io.railyard.sandbox;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/** The simulated rails by name: the four built-in ones and any template rail, created on first use. */
@Component
@SandboxEnabled
class Sandbox {

    /** Served by their own simulators; a template rail cannot take these names. */
    static final Set<String> BUILT_IN = Set.of("circle", "pix", "spei", "base");
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,39}");

    private final Map<String, Rail<?>> rails = new ConcurrentHashMap<>();
    private final Clock clock = Clock.systemUTC();
    private final Duration timeoutSleep;

    Sandbox(@Value("${railyard.sandbox.timeout-sleep-ms:15000}") long timeoutSleepMs) {
        this.timeoutSleep = Duration.ofMillis(timeoutSleepMs);
    }

    static boolean isValidName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    /**
     * The rail called {@code name}. Each name is served by exactly one simulator, so all its payouts carry that
     * simulator's detail type: the cast is safe (ops only touch faults, counts and state, never details).
     */
    @SuppressWarnings("unchecked")
    <D> Rail<D> rail(String name) {
        return (Rail<D>) rails.computeIfAbsent(name, n -> new Rail<>(n, clock, timeoutSleep));
    }
}
