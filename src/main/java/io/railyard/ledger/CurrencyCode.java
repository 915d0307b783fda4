package io.railyard.ledger;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Arrays;
import java.util.Optional;

/** The currencies the hub holds: ISO 4217 codes plus USDC, each with the scale its minor unit has. */
public enum CurrencyCode {
    USD(2), BRL(2), MXN(2), USDC(6);

    private final int scale;

    CurrencyCode(int scale) {
        this.scale = scale;
    }

    public int scale() {
        return scale;
    }

    /** Exact conversion: an amount with more decimals than the currency has is refused, never rounded. */
    public long toMinor(BigDecimal amount) {
        if (amount.precision() - amount.scale() > 19) { // more integer digits than a long holds; 1E+999999999 would
            // otherwise be expanded to a billion digits by setScale (found by HostileInputProperties)
            throw new IllegalArgumentException(amount.toEngineeringString() + " is not an exact amount of " + this
                    + " (too large)");
        }
        try {
            return amount.setScale(scale, RoundingMode.UNNECESSARY).unscaledValue().longValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(amount.toPlainString() + " is not an exact amount of " + this
                    + " (at most " + scale + " decimals)");
        }
    }

    public BigDecimal fromMinor(long minor) {
        return BigDecimal.valueOf(minor, scale);
    }

    public static Optional<CurrencyCode> parse(String code) {
        return Arrays.stream(values()).filter(c -> c.name().equals(code)).findFirst();
    }
}
