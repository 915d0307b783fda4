package io.railyard.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.crypto.Keys;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.TransactionEncoder;
import org.web3j.utils.Numeric;

class BaseSandboxTest extends RailSandboxSupport {

    private static final String RAIL = "base";
    private static final String USDC = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913";
    private static final String RECIPIENT = "0x00000000000000000000000000000000000a11ce";
    private static final BigInteger AMOUNT = BigInteger.valueOf(12_500_000);

    private Credentials sender;

    @BeforeEach
    void freshSender() throws Exception {
        resetFaults(RAIL);
        sender = Credentials.create(Keys.createEcKeyPair());
    }

    @AfterEach
    void noFaults() {
        resetFaults(RAIL);
    }

    @Test
    void chainBasics() {
        assertThat(result("eth_chainId").asText()).isEqualTo("0x2105");
        assertThat(result("eth_gasPrice").asText()).isEqualTo("0x3b9aca00");
        long block = Numeric.toBigInt(result("eth_blockNumber").asText()).longValueExact();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(Numeric.toBigInt(result("eth_blockNumber").asText()).longValueExact()).isGreaterThan(block));

        JsonNode unknown = rpc("eth_mine").json();
        assertThat(unknown.at("/error/code").asInt()).isEqualTo(-32601);
        assertThat(unknown.has("result")).isFalse();
        JsonNode parseError = call("POST", "/sandbox/base/rpc").json("{oops").send().json();
        assertThat(parseError.at("/error/code").asInt()).isEqualTo(-32700);
    }

    @Test
    void aTransferIsMinedOnceSettledWithItsTransferLog() {
        faults(RAIL, Map.of("settle_after_ms", 3000));
        assertThat(result("eth_getTransactionCount", sender.getAddress(), "pending").asText()).isEqualTo("0x0");

        String raw = transfer(0, USDC, RECIPIENT, AMOUNT, 8453);
        JsonNode sent = rpc("eth_sendRawTransaction", raw).json();
        assertThat(sent.get("id").asInt()).isEqualTo(1);
        String hash = sent.get("result").asText();
        assertThat(hash).isEqualTo(Hash.sha3(raw));

        JsonNode pending = rpc("eth_getTransactionReceipt", hash).json();
        assertThat(pending.has("result")).isTrue();
        assertThat(pending.get("result").isNull()).as("no receipt before it is mined").isTrue();
        assertThat(result("eth_getTransactionCount", sender.getAddress(), "pending").asText()).isEqualTo("0x1");

        JsonNode receipt = await().atMost(Duration.ofSeconds(30))
                .until(() -> result("eth_getTransactionReceipt", hash), r -> !r.isNull());
        assertThat(receipt.get("status").asText()).isEqualTo("0x1");
        assertThat(receipt.get("transactionHash").asText()).isEqualTo(hash);
        assertThat(receipt.get("from").asText()).isEqualTo(sender.getAddress());
        assertThat(receipt.get("to").asText()).isEqualToIgnoringCase(USDC);
        assertThat(receipt.get("blockNumber").asText()).startsWith("0x");
        JsonNode log = receipt.at("/logs/0");
        assertThat(log.get("address").asText()).isEqualToIgnoringCase(USDC);
        assertThat(log.get("topics")).extracting(JsonNode::asText).containsExactly(
                Hash.sha3String("Transfer(address,address,uint256)"),
                topic(sender.getAddress()), topic(RECIPIENT));
        assertThat(Numeric.toBigInt(log.get("data").asText())).isEqualTo(AMOUNT);
        assertThat(log.get("data").asText()).hasSize(66);
        assertThat(executions(RAIL, hash)).isEqualTo(1);
    }

    @Test
    void theSameRawTransactionTwiceIsOneExecution() {
        String raw = transfer(0, USDC, RECIPIENT, AMOUNT, 8453);
        String first = result("eth_sendRawTransaction", raw).asText();
        String again = result("eth_sendRawTransaction", raw).asText();

        assertThat(again).isEqualTo(first);
        assertThat(executions(RAIL, first)).isEqualTo(1);
    }

    @Test
    void anotherTransactionWithAUsedNonceIsNonceTooLow() {
        int before = executions(RAIL).get("total").asInt();
        String first = result("eth_sendRawTransaction", transfer(0, USDC, RECIPIENT, AMOUNT, 8453)).asText();
        JsonNode reused = rpc("eth_sendRawTransaction", transfer(0, USDC, RECIPIENT, AMOUNT.add(BigInteger.ONE), 8453))
                .json();

        assertThat(reused.at("/error/code").asInt()).isEqualTo(-32000);
        assertThat(reused.at("/error/message").asText()).isEqualTo("nonce too low");
        assertThat(executions(RAIL, first)).isEqualTo(1);
        assertThat(executions(RAIL).get("total").asInt()).as("nothing but the first").isEqualTo(before + 1);
        assertThat(result("eth_sendRawTransaction", transfer(1, USDC, RECIPIENT, AMOUNT, 8453)).isTextual()).isTrue();
    }

    @Test
    void onlySignedUsdcTransfersOnBaseAreExecuted() {
        int before = executions(RAIL).get("total").asInt();
        String approve = FunctionEncoder.encode(new Function("approve",
                List.of(new Address(RECIPIENT), new Uint256(AMOUNT)), List.of()));
        Map<String, String> refused = new LinkedHashMap<>();
        refused.put("other contract", transfer(0, RECIPIENT, RECIPIENT, AMOUNT, 8453));
        refused.put("other chain", transfer(0, USDC, RECIPIENT, AMOUNT, 1));
        refused.put("not a transfer", sign(RawTransaction.createTransaction(BigInteger.ZERO, GAS_PRICE, GAS_LIMIT,
                USDC, approve), 8453));
        refused.put("zero amount", transfer(0, USDC, RECIPIENT, BigInteger.ZERO, 8453));
        refused.put("unsigned", Numeric.toHexString(TransactionEncoder.encode(RawTransaction.createTransaction(
                BigInteger.ZERO, GAS_PRICE, GAS_LIMIT, USDC, data(RECIPIENT, AMOUNT)))));
        refused.forEach((why, raw) -> {
            JsonNode reply = rpc("eth_sendRawTransaction", raw).json();
            assertThat(reply.at("/error/code").asInt()).as(why + " " + reply).isEqualTo(-32000);
        });
        assertThat(rpc("eth_sendRawTransaction", "0xdeadbeef").json().at("/error/code").asInt()).isEqualTo(-32602);
        assertThat(rpc("eth_sendRawTransaction", "nothex").json().at("/error/code").asInt()).isEqualTo(-32602);
        assertThat(executions(RAIL).get("total").asInt()).isEqualTo(before);
    }

    @Test
    void aTransactionIsKnownByHashWhilePendingAndOnceMined() {
        faults(RAIL, Map.of("settle_after_ms", 3000));
        String hash = result("eth_sendRawTransaction", transfer(0, USDC, RECIPIENT, AMOUNT, 8453)).asText();

        JsonNode pending = result("eth_getTransactionByHash", hash);
        assertThat(pending.get("hash").asText()).isEqualTo(hash);
        assertThat(pending.get("nonce").asText()).isEqualTo("0x0");
        assertThat(pending.get("from").asText()).isEqualTo(sender.getAddress());
        assertThat(pending.get("blockNumber").isNull()).as("pending: no block yet").isTrue();
        JsonNode mined = await().atMost(Duration.ofSeconds(30))
                .until(() -> result("eth_getTransactionByHash", hash), t -> !t.get("blockNumber").isNull());
        assertThat(mined.get("blockNumber").asText())
                .isEqualTo(result("eth_getTransactionReceipt", hash).get("blockNumber").asText());
        assertThat(result("eth_getTransactionByHash", "0x" + "ab".repeat(32)).isNull()).isTrue();
    }

    @Test
    void blocksHaveTimestampsThatFollowTheBlockTime() {
        long head = Numeric.toBigInt(result("eth_blockNumber").asText()).longValueExact();
        JsonNode latest = result("eth_getBlockByNumber", "latest", false);
        assertThat(Numeric.toBigInt(latest.get("number").asText()).longValueExact()).isGreaterThanOrEqualTo(head);
        long earlier = Numeric.toBigInt(result("eth_getBlockByNumber", Numeric.toHexStringWithPrefix(
                BigInteger.valueOf(head - 50)), false).get("timestamp").asText()).longValueExact();
        long now = Numeric.toBigInt(result("eth_getBlockByNumber", Numeric.toHexStringWithPrefix(
                BigInteger.valueOf(head)), false).get("timestamp").asText()).longValueExact();
        assertThat(now - earlier).as("50 blocks of 200 ms").isBetween(9L, 11L);
        assertThat(result("eth_getBlockByNumber", Numeric.toHexStringWithPrefix(BigInteger.valueOf(head + 1000)),
                false).isNull()).as("past the head").isTrue();
    }

    @Test
    void transferLogsAreReadByBlockRangeAndTopics() {
        String hash = result("eth_sendRawTransaction", transfer(0, USDC, RECIPIENT, AMOUNT, 8453)).asText();
        JsonNode receipt = await().atMost(Duration.ofSeconds(30))
                .until(() -> result("eth_getTransactionReceipt", hash), r -> !r.isNull());
        String block = receipt.get("blockNumber").asText();

        JsonNode logs = result("eth_getLogs", Map.of("address", USDC, "fromBlock", block, "toBlock", block,
                "topics", List.of(Hash.sha3String("Transfer(address,address,uint256)"), topic(sender.getAddress()))));
        assertThat(logs).hasSize(1);
        assertThat(logs.get(0)).isEqualTo(receipt.at("/logs/0"));
        assertThat(result("eth_getLogs", Map.of("address", USDC, "fromBlock", block, "toBlock", block,
                "topics", List.of(Hash.sha3String("Transfer(address,address,uint256)"), topic(RECIPIENT)))))
                .as("another sender").isEmpty();
        long mined = Numeric.toBigInt(block).longValueExact();
        assertThat(result("eth_getLogs", Map.of("address", USDC, "fromBlock", Numeric.toHexStringWithPrefix(
                BigInteger.valueOf(mined + 1)), "toBlock", "latest", "topics", List.of(
                        Hash.sha3String("Transfer(address,address,uint256)"), topic(sender.getAddress())))))
                .as("later blocks").isEmpty();
        JsonNode tooWide = rpc("eth_getLogs", Map.of("fromBlock", "0x0", "toBlock", "latest")).json();
        assertThat(tooWide.at("/error/code").asInt()).isEqualTo(-32005);
    }

    @Test
    void failRateRevertsTheTransfer() {
        faults(RAIL, Map.of("fail_rate", 1));
        String hash = result("eth_sendRawTransaction", transfer(0, USDC, RECIPIENT, AMOUNT, 8453)).asText();

        JsonNode receipt = result("eth_getTransactionReceipt", hash);
        assertThat(receipt.get("status").asText()).isEqualTo("0x0");
        assertThat(receipt.get("logs")).isEmpty();
        assertThat(senderLogs(receipt.get("blockNumber").asText())).as("a reverted transfer logs nothing").isEmpty();
    }

    @Test
    void amountDriftShowsInTheLogsReadOnly() {
        faults(RAIL, Map.of("amount_drift_minor", 1));
        String hash = result("eth_sendRawTransaction", transfer(0, USDC, RECIPIENT, AMOUNT, 8453)).asText();

        JsonNode receipt = result("eth_getTransactionReceipt", hash);
        assertThat(Numeric.toBigInt(receipt.at("/logs/0/data").asText())).isEqualTo(AMOUNT);
        assertThat(Numeric.toBigInt(senderLogs(receipt.get("blockNumber").asText()).get(0).get("data").asText()))
                .isEqualTo(AMOUNT.add(BigInteger.ONE));
    }

    @Test
    void errorRateAndLostConfirmationsAreHttpFaults() {
        String raw = transfer(0, USDC, RECIPIENT, AMOUNT, 8453);
        String hash = Hash.sha3(raw);
        faults(RAIL, Map.of("error_rate", 1));
        assertThat(rpc("eth_sendRawTransaction", raw).status()).isEqualTo(503);
        assertThat(executions(RAIL, hash)).isZero();

        faults(RAIL, Map.of("lose_confirmation_rate", 1));
        assertThat(rpc("eth_sendRawTransaction", raw).status()).isEqualTo(500);
        assertThat(executions(RAIL, hash)).isEqualTo(1);

        resetFaults(RAIL);
        assertThat(result("eth_sendRawTransaction", raw).asText()).isEqualTo(hash);
        assertThat(result("eth_getTransactionReceipt", hash).get("status").asText()).isEqualTo("0x1");
        assertThat(executions(RAIL, hash)).isEqualTo(1);
    }

    @Test
    void theOpsEndpointsAreForOpsOnly() {
        TestPartner partner = newPartner();
        assertThat(call("GET", "/v1/ops/sandbox/base/executions").as(partner).send().status()).isEqualTo(403);
        assertThat(call("PUT", "/v1/ops/sandbox/base/faults").json(Map.of()).send().status()).isEqualTo(401);
    }

    private static final BigInteger GAS_PRICE = BigInteger.valueOf(1_000_000_000);
    private static final BigInteger GAS_LIMIT = BigInteger.valueOf(65_000);

    /** A USDC transfer(to, units) from the test's sender, signed for {@code chainId}. */
    private String transfer(long nonce, String contract, String to, BigInteger units, long chainId) {
        return sign(RawTransaction.createTransaction(BigInteger.valueOf(nonce), GAS_PRICE, GAS_LIMIT, contract,
                data(to, units)), chainId);
    }

    private String sign(RawTransaction transaction, long chainId) {
        return Numeric.toHexString(TransactionEncoder.signMessage(transaction, chainId, sender));
    }

    private static String data(String to, BigInteger units) {
        return FunctionEncoder.encode(new Function("transfer", List.of(new Address(to), new Uint256(units)), List.of()));
    }

    private Reply rpc(String method, Object... params) {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("jsonrpc", "2.0");
        request.put("id", 1);
        request.put("method", method);
        request.put("params", new ArrayList<>(List.of(params)));
        return call("POST", "/sandbox/base/rpc").json(request).send();
    }

    private JsonNode result(String method, Object... params) {
        Reply reply = rpc(method, params);
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        assertThat(reply.json().has("error")).as(reply.toString()).isFalse();
        return reply.json().get("result");
    }

    /** The Transfer logs of the test's sender in one block. */
    private JsonNode senderLogs(String block) {
        return result("eth_getLogs", Map.of("address", USDC, "fromBlock", block, "toBlock", block,
                "topics", List.of(Hash.sha3String("Transfer(address,address,uint256)"), topic(sender.getAddress()))));
    }

    private static String topic(String address) {
        return Numeric.toHexStringWithPrefixZeroPadded(Numeric.toBigInt(address), 64);
    }
}
