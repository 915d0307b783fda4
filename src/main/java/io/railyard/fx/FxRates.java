package io.railyard.fx;

import io.railyard.ledger.CurrencyCode;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.stereotype.Component;

/**
 * The sandbox rate table ({@code railyard.fx} in config): each currency's mid rate in USD, and a spread in basis
 * points taken on conversions (none between USD and USDC by default). Quotes round the destination amount down, so the
 * hub never pays out more than it converted.
 */
@Component
@ConfigurationProperties("railyard.fx")
public class FxRates {

    private static final MathContext PRECISION = new MathContext(20, RoundingMode.HALF_EVEN);

    private Map<CurrencyCode, BigDecimal> usdRates = new EnumMap<>(CurrencyCode.class);
    private int spreadBps = 50;
    private Map<String, Integer> pairSpreadBps = Map.of();

    public Quote quote(CurrencyCode source, long sourceMinor, CurrencyCode destination) {
        BigDecimal mid = rate(source, destination);
        int spread = source == destination ? 0 : pairSpreadBps.getOrDefault(source + "/" + destination, spreadBps);
        BigDecimal applied = mid.multiply(BigDecimal.ONE.subtract(BigDecimal.valueOf(spread, 4)), PRECISION);
        BigDecimal destinationAmount = source.fromMinor(sourceMinor).multiply(applied)
                .setScale(destination.scale(), RoundingMode.DOWN);
        return new Quote(source, destination, mid, spread, applied, sourceMinor,
                destinationAmount.unscaledValue().longValueExact(), Instant.now());
    }

    /** Units of {@code to} for one unit of {@code from}, at mid. */
    public BigDecimal rate(CurrencyCode from, CurrencyCode to) {
        if (from == to) {
            return BigDecimal.ONE;
        }
        return usd(from).divide(usd(to), PRECISION);
    }

    private BigDecimal usd(CurrencyCode currency) {
        BigDecimal rate = usdRates.get(currency);
        if (rate == null || rate.signum() <= 0) {
            throw new IllegalStateException("railyard.fx.usd-rates has no positive rate for " + currency);
        }
        return rate;
    }

    public Map<CurrencyCode, BigDecimal> getUsdRates() {
        return usdRates;
    }

    public void setUsdRates(Map<CurrencyCode, BigDecimal> usdRates) {
        this.usdRates = new EnumMap<>(usdRates);
    }

    public int getSpreadBps() {
        return spreadBps;
    }

    public void setSpreadBps(int spreadBps) {
        this.spreadBps = spreadBps;
    }

    public Map<String, Integer> getPairSpreadBps() {
        return pairSpreadBps;
    }

    public void setPairSpreadBps(Map<String, Integer> pairSpreadBps) {
        this.pairSpreadBps = Map.copyOf(pairSpreadBps);
    }

    /** The conversion a transfer used: stored on it, shown to the partner, booked at settlement. */
    public record Quote(CurrencyCode sourceCurrency, CurrencyCode destinationCurrency, BigDecimal midRate, int spreadBps,
            BigDecimal appliedRate, long sourceAmountMinor, long destinationAmountMinor, Instant quotedAt) {
    }
}
