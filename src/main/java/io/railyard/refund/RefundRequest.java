package io.railyard.refund;

import java.math.BigDecimal;

/** The body of {@code POST /v1/transfers/{id}/refunds}: no amount refunds all that remains refundable. */
public record RefundRequest(BigDecimal amount, String reason) {
}
