package io.railyard.transfer;

import java.math.BigDecimal;
import java.util.Map;

/** The body of {@code POST /v1/transfers} (snake_case on the wire). */
public record TransferRequest(BigDecimal amount, String currency, Destination destination, String reference,
        String protocol, Map<String, Object> protocolMetadata, Map<String, Object> metadata) {

    /**
     * Where the money goes. Which fields apply depends on the destination currency: BRL takes {@code pix_key} or
     * {@code bank_account}; MXN a {@code clabe}; USDC a {@code circle_wallet_id} (network {@code circle}) or an EVM
     * {@code address} (network {@code base}); USD a Circle {@code circle_recipient_id} (wire payout).
     */
    public record Destination(String currency, String country, String network, String name, String pixKey,
            BankAccount bankAccount, String clabe, String circleWalletId, String circleRecipientId, String address) {
    }

    /** A Brazilian bank account: ISPB of the bank (8 digits), branch, account number and type. */
    public record BankAccount(String ispb, String branch, String account, String accountType) {
    }
}
