package io.railyard.transfer;

import io.railyard.ledger.CurrencyCode;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.springframework.stereotype.Component;

/**
 * Validates a transfer request completely before anything is written: amounts, the destination for its rail, and the
 * protocol metadata against each protocol's published shape. Produces the normalised beneficiary that is stored.
 */
@Component
public class TransferValidator {

    // No leading = + - @: a spreadsheet opening an export (batch items as CSV) would run it as a formula.
    private static final Pattern NAME = Pattern.compile("(?![=+\\-@])[^\"\\\\\\p{Cntrl}]+");
    private static final Pattern REFERENCE = Pattern.compile("(?!-)[\\p{Alnum} ._:/#-]{1,64}");
    private static final Pattern CAIP2 = Pattern.compile("[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}");
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9_.:-]{4,128}");
    private static final Pattern SOLANA_ADDRESS = Pattern.compile("[1-9A-HJ-NP-Za-km-z]{32,44}");
    private static final Pattern UUID_PATTERN = Pattern.compile(
            "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final Set<String> X402_SCHEMES = Set.of("exact", "upto");
    private static final Set<String> ACCOUNT_TYPES = Set.of("CACC", "SVGS", "TRAN", "SLRY");

    /** The request, checked and normalised. */
    public record Valid(Protocol protocol, CurrencyCode sourceCurrency, long sourceAmountMinor,
            CurrencyCode destinationCurrency, String destinationCountry, Map<String, Object> beneficiary,
            Map<String, Object> protocolMetadata, Map<String, Object> metadata, String reference) {
    }

    public Valid validate(TransferRequest request) {
        return validate(request, "");
    }

    /** {@code prefix} locates the fields inside a larger document (a batch item). */
    public Valid validate(TransferRequest request, String prefix) {
        Violations violations = new Violations();
        CurrencyCode source = CurrencyCode.parse(request.currency()).orElse(null);
        if (source == null) {
            violations.add(prefix + "currency", "one of USD, BRL, MXN, USDC");
        }
        long amountMinor = amount(request.amount(), source, prefix + "amount", violations);
        if (request.reference() == null || !REFERENCE.matcher(request.reference()).matches()) {
            violations.add(prefix + "reference", "1 to 64 letters, digits, spaces or . _ : / # - (not starting with -)");
        }
        Protocol protocol = request.protocol() == null ? Protocol.API : Protocol.parse(request.protocol()).orElse(null);
        if (protocol == null) {
            violations.add(prefix + "protocol", "one of api, x402, ap2, acp");
        }
        Map<String, Object> beneficiary = new LinkedHashMap<>();
        CurrencyCode destination = null;
        String country = null;
        if (request.destination() == null) {
            violations.add(prefix + "destination", "is required");
        } else {
            destination = CurrencyCode.parse(request.destination().currency()).orElse(null);
            if (destination == null) {
                violations.add(prefix + "destination.currency", "one of USD, BRL, MXN, USDC");
            } else {
                country = destination(request.destination(), destination, beneficiary, prefix + "destination.",
                        violations);
            }
        }
        if (protocol != null) {
            protocolMetadata(protocol, request.protocolMetadata(), request, source, prefix + "protocol_metadata.",
                    violations);
        }
        metadata(request.metadata(), prefix + "metadata", violations);
        violations.throwIfAny();
        return new Valid(protocol, source, amountMinor, destination, country, beneficiary,
                request.protocolMetadata(), request.metadata(), request.reference());
    }

    private static long amount(BigDecimal amount, CurrencyCode currency, String field, Violations violations) {
        if (amount == null || amount.signum() <= 0) {
            violations.add(field, "a positive amount is required");
            return 0;
        }
        if (currency == null) {
            return 0;
        }
        try {
            return currency.toMinor(amount);
        } catch (IllegalArgumentException e) {
            violations.add(field, e.getMessage());
            return 0;
        }
    }

    private static String destination(TransferRequest.Destination d, CurrencyCode currency,
            Map<String, Object> beneficiary, String prefix, Violations violations) {
        if (d.name() != null) {
            if (d.name().isBlank() || d.name().length() > 140 || !NAME.matcher(d.name()).matches()) {
                violations.add(prefix + "name", "1 to 140 characters, no quotes, backslashes or control characters, not starting with = + - @");
            }
            beneficiary.put("name", d.name());
        }
        switch (currency) {
            case BRL -> {
                expectCountry(d, "BR", prefix, violations);
                onlyFields(d, prefix, violations, "pix_key", "bank_account");
                if ((d.pixKey() == null) == (d.bankAccount() == null)) {
                    violations.add(prefix + "pix_key", "give exactly one of pix_key or bank_account");
                } else if (d.pixKey() != null) {
                    String type = Identifiers.pixKeyType(d.pixKey());
                    if (type == null) {
                        violations.add(prefix + "pix_key", "not a Pix key (CPF, CNPJ, +55 phone, e-mail or random key)");
                    }
                    beneficiary.put("pix_key", d.pixKey());
                    beneficiary.put("pix_key_type", type);
                } else {
                    bankAccount(d.bankAccount(), prefix + "bank_account.", beneficiary, violations);
                }
                return "BR";
            }
            case MXN -> {
                expectCountry(d, "MX", prefix, violations);
                onlyFields(d, prefix, violations, "clabe");
                if (!Identifiers.isValidClabe(d.clabe())) {
                    violations.add(prefix + "clabe", "an 18-digit CLABE with a valid check digit");
                }
                if (d.name() == null) {
                    violations.add(prefix + "name", "SPEI needs the beneficiary's name");
                }
                beneficiary.put("clabe", d.clabe());
                return "MX";
            }
            case USDC -> {
                String network = d.network() == null ? (d.address() != null ? "base" : "circle") : d.network();
                beneficiary.put("network", network);
                if ("base".equals(network)) {
                    onlyFields(d, prefix, violations, "address");
                    if (!Identifiers.isValidEvmAddress(d.address())) {
                        violations.add(prefix + "address", "a 0x address of 40 hex digits with a valid EIP-55 checksum");
                    }
                    beneficiary.put("address", d.address());
                } else if ("circle".equals(network)) {
                    onlyFields(d, prefix, violations, "circle_wallet_id");
                    if (d.circleWalletId() == null || !TOKEN.matcher(d.circleWalletId()).matches()) {
                        violations.add(prefix + "circle_wallet_id", "the Circle wallet id of the recipient");
                    }
                    beneficiary.put("circle_wallet_id", d.circleWalletId());
                } else {
                    violations.add(prefix + "network", "circle or base");
                }
                return d.country();
            }
            case USD -> {
                onlyFields(d, prefix, violations, "circle_recipient_id");
                if (d.circleRecipientId() == null || !UUID_PATTERN.matcher(d.circleRecipientId()).matches()) {
                    violations.add(prefix + "circle_recipient_id", "the Circle wire bank account id (a UUID)");
                }
                beneficiary.put("circle_recipient_id", d.circleRecipientId());
                return d.country() == null ? "US" : d.country();
            }
            default -> throw new IllegalStateException("no destination rules for " + currency);
        }
    }

    private static void expectCountry(TransferRequest.Destination d, String country, String prefix, Violations v) {
        if (d.country() != null && !d.country().equals(country)) {
            v.add(prefix + "country", d.currency() + " is paid out in " + country);
        }
    }

    /** A beneficiary field that belongs to another rail is a mistake worth reporting, not ignoring. */
    private static void onlyFields(TransferRequest.Destination d, String prefix, Violations v, String... allowed) {
        Map<String, Object> given = new LinkedHashMap<>();
        given.put("pix_key", d.pixKey());
        given.put("bank_account", d.bankAccount());
        given.put("clabe", d.clabe());
        given.put("circle_wallet_id", d.circleWalletId());
        given.put("circle_recipient_id", d.circleRecipientId());
        given.put("address", d.address());
        List<String> ok = List.of(allowed);
        given.forEach((field, value) -> {
            if (value != null && !ok.contains(field)) {
                v.add(prefix + field, "does not apply to " + d.currency() + " destinations");
            }
        });
    }

    private static void bankAccount(TransferRequest.BankAccount account, String prefix, Map<String, Object> beneficiary,
            Violations v) {
        if (account.ispb() == null || !account.ispb().matches("[0-9]{8}")) {
            v.add(prefix + "ispb", "the bank's 8-digit ISPB");
        }
        if (account.branch() == null || !account.branch().matches("[0-9]{1,4}")) {
            v.add(prefix + "branch", "1 to 4 digits");
        }
        if (account.account() == null || !account.account().matches("[0-9]{1,19}(-[0-9Xx])?")) {
            v.add(prefix + "account", "1 to 19 digits with an optional -check digit");
        }
        if (account.accountType() == null || !ACCOUNT_TYPES.contains(account.accountType())) {
            v.add(prefix + "account_type", "one of " + ACCOUNT_TYPES);
        }
        beneficiary.put("bank_account", Map.of("ispb", String.valueOf(account.ispb()),
                "branch", String.valueOf(account.branch()), "account", String.valueOf(account.account()),
                "account_type", String.valueOf(account.accountType())));
    }

    private static void protocolMetadata(Protocol protocol, Map<String, Object> m, TransferRequest request,
            CurrencyCode source, String prefix, Violations v) {
        String whole = prefix.substring(0, prefix.length() - 1);
        if (protocol == Protocol.API) {
            if (m != null && !m.isEmpty()) {
                v.add(whole, "plain api transfers carry no protocol metadata");
            }
            return;
        }
        if (m == null) {
            v.add(whole, protocol.code() + " transfers must carry the protocol's metadata");
            return;
        }
        switch (protocol) {
            case X402 -> {
                allowedKeys(m, prefix, v, "scheme", "network", "payer", "payment_id", "resource");
                String scheme = string(m, "scheme");
                if (scheme == null || !X402_SCHEMES.contains(scheme)) {
                    v.add(prefix + "scheme", "an x402 payment scheme: exact or upto");
                }
                String network = string(m, "network");
                if (network == null || !CAIP2.matcher(network).matches()) {
                    v.add(prefix + "network", "a CAIP-2 network id such as eip155:8453");
                }
                String payer = string(m, "payer");
                boolean evm = network != null && network.startsWith("eip155:");
                boolean payerOk = payer != null && (evm ? Identifiers.isValidEvmAddress(payer)
                        : SOLANA_ADDRESS.matcher(payer).matches() || Identifiers.isValidEvmAddress(payer));
                if (!payerOk) {
                    v.add(prefix + "payer", "the paying wallet's address on that network");
                }
                requireToken(m, "payment_id", prefix, v);
            }
            case AP2 -> {
                allowedKeys(m, prefix, v, "mandate_id", "transaction_id", "payee", "amount", "payment_instrument",
                        "merchant_agent");
                requireToken(m, "mandate_id", prefix, v);
                requireToken(m, "transaction_id", prefix, v);
                String payee = string(m, "payee");
                if (payee == null || payee.isBlank() || payee.length() > 140) {
                    v.add(prefix + "payee", "the payee named in the payment mandate");
                }
                if (!(m.get("amount") instanceof Map<?, ?> amount)) {
                    v.add(prefix + "amount", "the mandate's amount: {\"currency\": ..., \"value\": ...}");
                } else {
                    Object value = amount.get("value");
                    BigDecimal mandated = value == null ? null : parseDecimal(value.toString());
                    if (!String.valueOf(amount.get("currency")).equals(request.currency()) || mandated == null
                            || request.amount() == null || mandated.compareTo(request.amount()) != 0) {
                        v.add(prefix + "amount", "must equal the transfer's amount and currency");
                    }
                }
                if (!(m.get("payment_instrument") instanceof Map<?, ?> instrument) || instrument.get("type") == null) {
                    v.add(prefix + "payment_instrument", "the mandate's payment instrument with its type");
                }
            }
            case ACP -> {
                allowedKeys(m, prefix, v, "checkout_session_id", "delegated_payment_token", "merchant_id");
                requireToken(m, "checkout_session_id", prefix, v);
                requireToken(m, "delegated_payment_token", prefix, v);
            }
            default -> throw new IllegalStateException(protocol.name());
        }
    }

    private static void allowedKeys(Map<String, Object> m, String prefix, Violations v, String... keys) {
        Set<String> allowed = Set.of(keys);
        m.keySet().stream().filter(k -> !allowed.contains(k)).forEach(k -> v.add(prefix + k, "not a field of this protocol"));
    }

    private static void requireToken(Map<String, Object> m, String key, String prefix, Violations v) {
        String value = string(m, key);
        if (value == null || !TOKEN.matcher(value).matches()) {
            v.add(prefix + key, "4 to 128 letters, digits or _ . : -");
        }
    }

    private static String string(Map<String, Object> m, String key) {
        return m.get(key) instanceof String s ? s : null;
    }

    private static BigDecimal parseDecimal(String value) {
        try {
            return new BigDecimal(value);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static void metadata(Map<String, Object> metadata, String field, Violations v) {
        if (metadata == null) {
            return;
        }
        if (metadata.size() > 20) {
            v.add(field, "at most 20 keys");
        }
        metadata.forEach((key, value) -> {
            if (key.length() > 40 || !(value instanceof String s) || s.length() > 500) {
                v.add(field + "." + key, "keys up to 40 characters, string values up to 500");
            }
        });
    }
}
