package io.railyard.transfer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/** Valid transfer bodies per destination and protocol; tests change one field to make them invalid. */
public final class TransferFixtures {

    public static final String CLABE = "032180000118359719";
    public static final String BASE_ADDRESS = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";

    private static final ObjectMapper REQUESTS = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

    private TransferFixtures() {
    }

    /**
     * A transfer accepted (its hold taken) and moved to ROUTED on {@code rail} with no connector seeing it: its
     * instruction goes to a topic nothing consumes.
     */
    public static Transfer routed(Transfers transfers, TransferValidator validator, UUID partnerId,
            Map<String, Object> body, String rail) {
        Transfer accepted = transfers.accept(partnerId,
                validator.validate(REQUESTS.convertValue(body, TransferRequest.class)));
        return transfers.transition(accepted.id(), TransferStatus.ROUTED, "test", new Transfers.Changes(rail, null,
                "test", null, null, null, null), "railyard.test.unconsumed.v1");
    }

    /** A transfer {@link #routed} and then moved to SUBMITTED: for feeding the settlement stage results directly. */
    public static Transfer submitted(Transfers transfers, TransferValidator validator, UUID partnerId,
            Map<String, Object> body, String rail) {
        return transfers.transition(routed(transfers, validator, partnerId, body, rail).id(), TransferStatus.SUBMITTED,
                "test", Transfers.Changes.NONE, null);
    }

    public static Map<String, Object> pix(String amount) {
        return body(amount, "BRL", Map.of("currency", "BRL", "country", "BR", "pix_key", "52998224725",
                "name", "Maria Silva"));
    }

    public static Map<String, Object> spei(String amount) {
        return body(amount, "MXN", Map.of("currency", "MXN", "country", "MX", "clabe", CLABE, "name", "Juan Pérez"));
    }

    public static Map<String, Object> base(String amount) {
        return body(amount, "USDC", Map.of("currency", "USDC", "network", "base", "address", BASE_ADDRESS));
    }

    public static Map<String, Object> circle(String amount) {
        return body(amount, "USDC", Map.of("currency", "USDC", "network", "circle", "circle_wallet_id", "1000216185"));
    }

    public static Map<String, Object> usdWire(String amount) {
        return body(amount, "USD", Map.of("currency", "USD", "country", "US",
                "circle_recipient_id", "b8627ae8-732b-4d25-b947-1df8f4007a29"));
    }

    public static Map<String, Object> body(String amount, String currency, Map<String, Object> destination) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("amount", amount);
        body.put("currency", currency);
        body.put("destination", destination);
        body.put("reference", "inv-" + Math.abs(System.nanoTime() % 1_000_000));
        body.put("protocol", "api");
        return body;
    }

    public static Map<String, Object> x402(Map<String, Object> body) {
        body.put("protocol", "x402");
        body.put("protocol_metadata", Map.of("scheme", "exact", "network", "eip155:8453",
                "payer", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", "payment_id", "pay_7f3a9c"));
        return body;
    }

    public static Map<String, Object> ap2(Map<String, Object> body) {
        body.put("protocol", "ap2");
        body.put("protocol_metadata", Map.of("mandate_id", "pm_12345", "transaction_id", "tx_abcdef",
                "payee", "Acme Store", "amount", Map.of("currency", body.get("currency"), "value", body.get("amount")),
                "payment_instrument", Map.of("type", "CARD", "id", "card_1")));
        return body;
    }

    public static Map<String, Object> acp(Map<String, Object> body) {
        body.put("protocol", "acp");
        body.put("protocol_metadata", Map.of("checkout_session_id", "cs_01HZX7", "delegated_payment_token", "vt_01J9Q"));
        return body;
    }
}
