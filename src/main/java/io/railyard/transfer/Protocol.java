package io.railyard.transfer;

import java.util.Arrays;
import java.util.Optional;

/** How a transfer reached the hub: the plain API, or an agent payment protocol whose metadata it carries. */
public enum Protocol {
    API("api"), X402("x402"), AP2("ap2"), ACP("acp");

    private final String code;

    Protocol(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }

    public static Optional<Protocol> parse(String value) {
        return Arrays.stream(values()).filter(p -> p.code.equalsIgnoreCase(value)).findFirst();
    }
}
