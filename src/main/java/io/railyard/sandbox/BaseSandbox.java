package io.railyard.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.security.SignatureException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.web3j.crypto.Hash;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.SignedRawTransaction;
import org.web3j.crypto.TransactionDecoder;
import org.web3j.crypto.transaction.type.Transaction2930;
import org.web3j.utils.Numeric;

/**
 * Base (EVM, chain 8453) JSON-RPC simulator that executes USDC {@code transfer(address,uint256)} transactions only,
 * for what a real node (anvil, see src/test/anvil) cannot do: injected faults. A transaction is keyed by its hash (the
 * same raw bytes sent again are one execution) and by (sender, nonce): another transaction reusing a nonce is refused
 * "nonce too low". Blocks advance every 200 ms; a receipt is null until the transaction settles, then status 0x1 with
 * the ERC-20 Transfer log, or 0x0 (reverted, no logs) when a fault fails it. A chain has no returns: {@code
 * return_rate} leaves a transfer successful. Statements are read as on a node: {@code eth_getLogs} of the Transfer
 * event, where {@code amount_drift_minor} and duplicated confirmations show.
 */
@RestController
@SandboxEnabled
@RequestMapping("/sandbox/base")
class BaseSandbox extends RailEndpoint {

    static final long CHAIN_ID = 8453;
    static final int USDC_DECIMALS = 6;
    private static final String GAS_PRICE = "0x3b9aca00";
    private static final String GAS_USED = "0xfde8";
    private static final String TRANSFER_SELECTOR = "a9059cbb";
    private static final String TRANSFER_TOPIC = Hash.sha3String("Transfer(address,address,uint256)");
    private static final Pattern ADDRESS = Pattern.compile("0x[0-9a-fA-F]{40}");
    private static final Pattern HEX = Pattern.compile("0x([0-9a-fA-F]{2})+");
    private static final Pattern QUANTITY = Pattern.compile("0x(0|[1-9a-fA-F][0-9a-fA-F]{0,14})");
    private static final long FIRST_BLOCK = 30_000_000;
    private static final Duration BLOCK_TIME = Duration.ofMillis(200);
    /** The widest eth_getLogs block range answered, as public nodes limit it. */
    static final long MAX_LOG_RANGE = 10_000;

    /** One USDC transfer; addresses lowercase, amount in base units (6 decimals). */
    record Transfer(String from, String to, BigInteger units, long nonce) {
    }

    /** A JSON-RPC error answered to the caller (HTTP 200). */
    private static final class RpcError extends RuntimeException {
        final int code;

        RpcError(int code, String message) {
            super(message, null, false, false);
            this.code = code;
        }
    }

    private final Rail<Transfer> rail;
    private final String usdcContract;
    private final ObjectMapper json;
    private final Instant genesis;

    BaseSandbox(Sandbox sandbox, ObjectMapper json,
            @Value("${railyard.sandbox.base.usdc-contract:0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913}") String usdc) {
        this.rail = sandbox.rail("base");
        this.json = json;
        this.usdcContract = usdc.toLowerCase(Locale.ROOT);
        this.genesis = rail.now();
    }

    @PostMapping("/rpc")
    ObjectNode rpc(@RequestBody JsonNode request) {
        JsonNode id = request.path("id").isMissingNode() ? NullNode.getInstance() : request.path("id");
        try {
            if (!request.isObject() || !"2.0".equals(request.path("jsonrpc").asText())
                    || !request.path("method").isTextual()) {
                throw new RpcError(-32600, "invalid request: send one JSON-RPC 2.0 request object (no batches)");
            }
            JsonNode params = request.path("params");
            Object result = switch (request.path("method").asText()) {
                case "eth_chainId" -> hex(CHAIN_ID);
                case "eth_blockNumber" -> hex(blockAt(rail.now()));
                case "eth_gasPrice" -> GAS_PRICE;
                case "eth_estimateGas" -> GAS_USED;
                case "eth_getTransactionCount" -> hex(nextNonce(param(params, 0, ADDRESS, "address")));
                case "eth_sendRawTransaction" -> send(param(params, 0, HEX, "raw transaction"));
                case "eth_getTransactionReceipt" -> receipt(param(params, 0, HEX, "transaction hash"));
                case "eth_getTransactionByHash" -> transaction(param(params, 0, HEX, "transaction hash"));
                case "eth_getBlockByNumber" -> block(params.path(0));
                case "eth_getLogs" -> logs(params.path(0));
                default -> throw new RpcError(-32601, "the method " + request.path("method").asText()
                        + " does not exist/is not available");
            };
            return response(id).set("result", result == null ? NullNode.getInstance() : json.valueToTree(result));
        } catch (RpcError e) {
            return error(id, e.code, e.getMessage());
        } catch (RailError e) {
            // The only refusal the rail makes here: (sender, nonce) already taken by another transaction.
            return error(id, -32000, e.kind() == RailError.Kind.REFERENCE_TAKEN ? "nonce too low" : e.getMessage());
        }
    }

    private String send(String raw) {
        RawTransaction tx;
        try {
            tx = TransactionDecoder.decode(raw);
        } catch (RuntimeException e) {
            throw new RpcError(-32602, "invalid raw transaction: not an RLP-encoded transaction");
        }
        if (!(tx instanceof SignedRawTransaction signed)) {
            throw new RpcError(-32000, "transaction is not signed");
        }
        Long chainId = tx.getTransaction() instanceof Transaction2930 typed ? typed.getChainId() : signed.getChainId();
        if (chainId == null || chainId != CHAIN_ID) {
            throw new RpcError(-32000, "invalid chain id: " + chainId + " (Base is " + CHAIN_ID + ")");
        }
        String from;
        try {
            from = signed.getFrom().toLowerCase(Locale.ROOT);
        } catch (SignatureException e) {
            throw new RpcError(-32000, "invalid sender");
        }
        if (!usdcContract.equalsIgnoreCase(tx.getTo())) {
            throw new RpcError(-32000, "the sandbox executes USDC transfers only: to must be " + usdcContract);
        }
        if (tx.getValue() != null && tx.getValue().signum() != 0) {
            throw new RpcError(-32000, "execution reverted: USDC is not payable");
        }
        String data = Numeric.cleanHexPrefix(tx.getData() == null ? "" : tx.getData()).toLowerCase(Locale.ROOT);
        if (data.length() != 8 + 128 || !data.startsWith(TRANSFER_SELECTOR) || !data.startsWith("0".repeat(24), 8)) {
            throw new RpcError(-32000, "execution reverted: data is not transfer(address,uint256)");
        }
        String recipient = "0x" + data.substring(32, 72);
        BigInteger units = new BigInteger(data.substring(72), 16);
        if (units.signum() == 0) {
            throw new RpcError(-32000, "execution reverted: transfer amount is zero");
        }
        long nonce = tx.getNonce().longValueExact();
        String hash = Hash.sha3(raw).toLowerCase(Locale.ROOT);
        rail.create(hash, new Transfer(from, recipient, units, nonce), new BigDecimal(units, USDC_DECIMALS),
                () -> from + "/" + nonce);
        return hash;
    }

    private Map<String, Object> receipt(String hash) {
        Payout<Transfer> payout = rail.byKey(hash.toLowerCase(Locale.ROOT)).orElse(null);
        if (payout == null) {
            return null;
        }
        Payout.Phase phase = rail.phase(payout);
        if (phase == Payout.Phase.PENDING) {
            return null;
        }
        Transfer transfer = payout.detail();
        boolean success = phase != Payout.Phase.FAILED;
        long block = blockAt(payout.settledAt());
        Map<String, Object> receipt = new LinkedHashMap<>();
        receipt.put("transactionHash", payout.key());
        receipt.put("transactionIndex", "0x0");
        receipt.put("blockHash", blockHash(block));
        receipt.put("blockNumber", hex(block));
        receipt.put("from", transfer.from());
        receipt.put("to", usdcContract);
        receipt.put("gasUsed", GAS_USED);
        receipt.put("cumulativeGasUsed", GAS_USED);
        receipt.put("effectiveGasPrice", GAS_PRICE);
        receipt.put("status", success ? "0x1" : "0x0");
        receipt.put("logs", success ? List.of(transferLog(payout, transfer.units(), block)) : List.of());
        return receipt;
    }

    /** The node's view of a transaction: pending (null block fields) or mined, whatever its outcome. */
    private ObjectNode transaction(String hash) {
        Payout<Transfer> payout = rail.byKey(hash.toLowerCase(Locale.ROOT)).orElse(null);
        if (payout == null) {
            return null;
        }
        long block = blockAt(payout.settledAt());
        ObjectNode transaction = json.createObjectNode().put("hash", payout.key())
                .put("nonce", hex(payout.detail().nonce())).put("from", payout.detail().from()).put("to", usdcContract)
                .put("value", "0x0");
        if (rail.phase(payout) == Payout.Phase.PENDING) {
            transaction.putNull("blockNumber").putNull("blockHash").putNull("transactionIndex");
        } else {
            transaction.put("blockNumber", hex(block)).put("blockHash", blockHash(block)).put("transactionIndex", "0x0");
        }
        return transaction;
    }

    /** A block's header fields (number, hash, parent, timestamp); null past the head. */
    private Map<String, Object> block(JsonNode tag) {
        long head = blockAt(rail.now());
        long number = blockNumber(tag, head);
        if (number > head) {
            return null;
        }
        Map<String, Object> block = new LinkedHashMap<>();
        block.put("number", hex(number));
        block.put("hash", blockHash(number));
        block.put("parentHash", blockHash(number - 1));
        block.put("timestamp", hex(sealedAt(number)));
        return block;
    }

    /**
     * A block's timestamp: the end of its 200 ms slot, in whole seconds rounded up, so it is never before the
     * transactions it holds were received (on Base, a block is stamped when it is built, after its transactions).
     */
    private long sealedAt(long block) {
        Instant end = genesis.plus(BLOCK_TIME.multipliedBy(block - FIRST_BLOCK + 1));
        return end.getEpochSecond() + (end.getNano() > 0 ? 1 : 0);
    }

    /**
     * The USDC Transfer logs of mined successful transfers in [fromBlock, toBlock], filtered by contract address and
     * topics (null = any), oldest first. Logs carry no {@code blockTimestamp}, as nodes older than that field.
     */
    private List<Map<String, Object>> logs(JsonNode filter) {
        long head = blockAt(rail.now());
        long from = blockNumber(filter.path("fromBlock"), head);
        long to = Math.min(blockNumber(filter.path("toBlock"), head), head);
        if (to - from + 1 > MAX_LOG_RANGE) {
            throw new RpcError(-32005, "query exceeds max block range " + MAX_LOG_RANGE);
        }
        JsonNode address = filter.path("address");
        if (!address.isMissingNode() && !address.isNull() && !usdcContract.equalsIgnoreCase(address.asText())) {
            return List.of();
        }
        return rail.statement(Instant.EPOCH, rail.now().plusSeconds(1)).stream()
                .filter(p -> rail.phase(p) == Payout.Phase.SETTLED || rail.phase(p) == Payout.Phase.RETURNED)
                .filter(p -> blockAt(p.settledAt()) >= from && blockAt(p.settledAt()) <= to)
                .map(p -> transferLog(p, p.statementAmount().movePointRight(USDC_DECIMALS).toBigIntegerExact(),
                        blockAt(p.settledAt())))
                .filter(log -> matches(filter.path("topics"), (List<?>) log.get("topics")))
                .toList();
    }

    private static boolean matches(JsonNode wanted, List<?> topics) {
        for (int i = 0; i < wanted.size(); i++) {
            JsonNode topic = wanted.get(i);
            if (!topic.isNull() && (i >= topics.size() || !topic.asText().equalsIgnoreCase((String) topics.get(i)))) {
                return false;
            }
        }
        return true;
    }

    private Map<String, Object> transferLog(Payout<Transfer> payout, BigInteger units, long block) {
        Transfer transfer = payout.detail();
        Map<String, Object> log = new LinkedHashMap<>();
        log.put("address", usdcContract);
        log.put("topics", List.of(TRANSFER_TOPIC, topic(transfer.from()), topic(transfer.to())));
        log.put("data", Numeric.toHexStringWithPrefixZeroPadded(units, 64));
        log.put("blockNumber", hex(block));
        log.put("blockHash", blockHash(block));
        log.put("transactionHash", payout.key());
        log.put("transactionIndex", "0x0");
        log.put("logIndex", "0x0");
        log.put("removed", false);
        return log;
    }

    /** Next nonce of a sender: one past the highest it used (gaps are tolerated, unlike a real mempool). */
    private long nextNonce(String address) {
        String sender = address.toLowerCase(Locale.ROOT);
        return rail.payouts().stream().map(Payout::detail).filter(t -> t.from().equals(sender))
                .mapToLong(Transfer::nonce).max().orElse(-1) + 1;
    }

    private long blockAt(Instant time) {
        return FIRST_BLOCK + Math.max(0, Duration.between(genesis, time).toMillis() / BLOCK_TIME.toMillis());
    }

    /** A block parameter: a hex number or "latest" / "pending" / "safe" / "finalized" (the head), "earliest". */
    private static long blockNumber(JsonNode tag, long head) {
        String text = tag.asText("latest");
        if (tag.isMissingNode() || tag.isNull() || Set.of("latest", "pending", "safe", "finalized").contains(text)) {
            return head;
        }
        if ("earliest".equals(text)) {
            return 0;
        }
        if (!QUANTITY.matcher(text).matches()) {
            throw new RpcError(-32602, "invalid params: block number or tag expected, got " + tag);
        }
        return Numeric.toBigInt(text).longValueExact();
    }

    private static String param(JsonNode params, int index, Pattern format, String what) {
        JsonNode value = params.path(index);
        if (!value.isTextual() || !format.matcher(value.asText()).matches()) {
            throw new RpcError(-32602, "invalid params: expected " + what + " at position " + index);
        }
        return value.asText();
    }

    private static String topic(String address) {
        return Numeric.toHexStringWithPrefixZeroPadded(Numeric.toBigInt(address), 64);
    }

    private static String blockHash(long block) {
        return Hash.sha3String("railyard-sandbox-block-" + block);
    }

    private static String hex(long value) {
        return "0x" + Long.toHexString(value);
    }

    private ObjectNode response(JsonNode id) {
        ObjectNode response = json.createObjectNode().put("jsonrpc", "2.0");
        response.set("id", id);
        return response;
    }

    private ObjectNode error(JsonNode id, int code, String message) {
        ObjectNode response = response(id);
        response.putObject("error").put("code", code).put("message", message);
        return response;
    }

    @Override
    ResponseEntity<Object> render(RailError error) {
        // Reached only when the body is not JSON at all: a JSON-RPC parse error.
        return ResponseEntity.ok(error(NullNode.getInstance(), -32700, "parse error: " + error.getMessage()));
    }
}
