package io.railyard.connector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.railyard.TestPorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.crypto.Keys;
import org.web3j.utils.Numeric;

/**
 * A real local EVM node for tests: Foundry's anvil as a child process on a free loopback port, chain id 8453 (Base),
 * a block a second, with the RailyardUsdc token (src/test/anvil) deployed by dev account 0. The binary is the one named
 * by system property {@code railyard.anvil} or environment variable {@code RAILYARD_ANVIL}, else
 * {@code .tools/anvil/node_modules/.bin/anvil} (where src/test/anvil/install.sh, run by .ci/run, puts it), else
 * {@code anvil} on the PATH. Without one, the test fails saying how to install it: it is never skipped.
 */
final class AnvilNode implements AutoCloseable {

    /** Dev account 0 of anvil's default mnemonic: unlocked on the node, deploys and mints the token. */
    static final String DEPLOYER = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";
    /** Dev account 1's key: the hub's default hot wallet (application.yaml), funded with ETH by anvil. */
    static final String HOT_WALLET_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
    static final String HOT_WALLET = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
    static final long CHAIN_ID = 8453;
    private static final Path INSTALLED = Path.of(".tools/anvil/node_modules/.bin/anvil");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Process process;
    private final Path log;
    private final String url;
    private String token;

    private AnvilNode(Process process, Path log, String url) {
        this.process = process;
        this.log = log;
        this.url = url;
    }

    /** Starts a node, waits until it answers and deploys the token; stopped with the JVM at the latest. */
    static AnvilNode start() {
        String binary = binary();
        int port = TestPorts.free();
        Path log = Path.of("target", "anvil-" + port + ".log");
        Process process;
        try {
            Files.createDirectories(log.getParent());
            process = new ProcessBuilder(binary, "--chain-id", String.valueOf(CHAIN_ID), "--block-time", "1",
                    "--host", "127.0.0.1", "--port", String.valueOf(port))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new AssertionError("anvil at " + binary + " could not be started: " + e.getMessage(), e);
        }
        AnvilNode node = new AnvilNode(process, log, "http://127.0.0.1:" + port);
        Runtime.getRuntime().addShutdownHook(new Thread(node::close));
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
            assertThat(process.isAlive()).as("anvil exited: " + node.logTail()).isTrue();
            return node.answers();
        });
        assertThat(node.call("eth_chainId").asText()).isEqualTo(Numeric.toHexStringWithPrefix(BigInteger.valueOf(CHAIN_ID)));
        node.token = node.deployToken();
        return node;
    }

    private static String binary() {
        String named = System.getProperty("railyard.anvil", System.getenv("RAILYARD_ANVIL"));
        if (named != null && !named.isBlank()) {
            assertThat(Path.of(named)).as("railyard.anvil / RAILYARD_ANVIL names no executable").isExecutable();
            return named;
        }
        if (Files.isExecutable(INSTALLED)) {
            return INSTALLED.toString();
        }
        String path = System.getenv().getOrDefault("PATH", "");
        return Stream.of(path.split(java.io.File.pathSeparator)).map(dir -> Path.of(dir, "anvil"))
                .filter(Files::isExecutable).map(Path::toString).findFirst()
                .orElseThrow(() -> new AssertionError("The Base tests against a real EVM node need anvil (Foundry): "
                        + "run src/test/anvil/install.sh (npm install of @foundry-rs/anvil 1.7.1 into .tools/anvil; "
                        + ".ci/run does it), or name a binary with -Drailyard.anvil=... or RAILYARD_ANVIL"));
    }

    /**
     * Starts a node with {@code float} token units on the hot wallet, and points the shipped base-usdc connector at it
     * by configuration only (rpc-url, usdc-contract, chain-id, private-key), for a hub of its own named {@code name}.
     */
    static AnvilNode startFor(DynamicPropertyRegistry registry, String name, BigInteger hotWalletFloat) {
        AnvilNode anvil = start();
        anvil.mint(HOT_WALLET, hotWalletFloat);
        registry.add("spring.quartz.scheduler-name", () -> name);
        registry.add("camel.main.name", () -> name);
        registry.add("railyard.connectors.base-usdc.rpc-url", anvil::url);
        registry.add("railyard.connectors.base-usdc.usdc-contract", anvil::token);
        registry.add("railyard.connectors.base-usdc.chain-id", () -> CHAIN_ID);
        registry.add("railyard.connectors.base-usdc.private-key", () -> HOT_WALLET_KEY);
        return anvil;
    }

    /**
     * A token transfer sent by any address, as its owner would: anvil signs for it (anvil_impersonateAccount) and gives
     * it gas money (anvil_setBalance); its hash.
     */
    String transferAsOwner(String from, String to, BigInteger units) {
        call("anvil_impersonateAccount", from);
        call("anvil_setBalance", from, "0xde0b6b3a7640000"); // 1 ETH
        return transferAs(from, to, units);
    }

    /** A new EIP-55 address that holds nothing. */
    static String freshAddress() {
        byte[] bytes = new byte[20];
        RANDOM.nextBytes(bytes);
        return Keys.toChecksumAddress(Numeric.toHexString(bytes));
    }

    /** Mines {@code blocks} blocks now. */
    void mine(int blocks) {
        call("anvil_mine", Numeric.toHexStringWithPrefix(BigInteger.valueOf(blocks)));
    }

    String url() {
        return url;
    }

    /** The RailyardUsdc contract address. */
    String token() {
        return token;
    }

    /** The JSON-RPC result of a call that must succeed. */
    JsonNode call(String method, Object... params) {
        JsonNode answer = answer(method, params);
        assertThat(answer.has("error")).as(method + " " + answer).isFalse();
        return answer.get("result");
    }

    /** The whole JSON-RPC answer (result or error). */
    JsonNode answer(String method, Object... params) {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("jsonrpc", "2.0");
        request.put("id", 1);
        request.put("method", method);
        request.put("params", new ArrayList<>(List.of(params)));
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url))
                    .header("Content-Type", "application/json").timeout(Duration.ofSeconds(10))
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(request))).build(),
                    HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    long blockNumber() {
        return quantity(call("eth_blockNumber"));
    }

    /** The mined nonce count of an account. */
    long nonce(String address) {
        return quantity(call("eth_getTransactionCount", address, "latest"));
    }

    /** The receipt of a transaction, once mined. */
    JsonNode awaitReceipt(String hash) {
        return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> call("eth_getTransactionReceipt", hash), receipt -> !receipt.isNull());
    }

    /** Token units held by {@code address} (6 decimals: USDC minor units). */
    BigInteger balanceOf(String address) {
        String data = FunctionEncoder.encode(new Function("balanceOf", List.of(new Address(address)), List.of()));
        return Numeric.toBigInt(call("eth_call", Map.of("to", token, "data", data), "latest").asText());
    }

    /** Mints token units to {@code address} (the deployer mints), mined before returning. */
    void mint(String address, BigInteger units) {
        assertThat(awaitReceipt(sendAs(DEPLOYER, token, FunctionEncoder.encode(new Function("mint",
                List.of(new Address(address), new Uint256(units)), List.of())))).get("status").asText())
                .isEqualTo("0x1");
    }

    /** A token transfer sent by an unlocked account (not through the hub); its hash. */
    String transferAs(String from, String to, BigInteger units) {
        return sendAs(from, token, FunctionEncoder.encode(new Function("transfer",
                List.of(new Address(to), new Uint256(units)), List.of())));
    }

    /** Stops mining (transactions wait in the pool) or mines a block a second again. */
    void mining(boolean on) {
        call("evm_setIntervalMining", on ? 1 : 0);
    }

    private String sendAs(String from, String to, String data) {
        Map<String, Object> transaction = new LinkedHashMap<>();
        transaction.put("from", from);
        if (to != null) {
            transaction.put("to", to);
        }
        transaction.put("data", data);
        return call("eth_sendTransaction", transaction).asText();
    }

    private String deployToken() {
        JsonNode artifact;
        try {
            artifact = JSON.readTree(Path.of("src/test/anvil/RailyardUsdc.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("src/test/anvil/RailyardUsdc.json (src/test/anvil/build-token.sh makes it)", e);
        }
        JsonNode receipt = awaitReceipt(sendAs(DEPLOYER, null, artifact.get("bytecode").asText()));
        assertThat(receipt.get("status").asText()).as("token deployment " + receipt).isEqualTo("0x1");
        return receipt.get("contractAddress").asText();
    }

    private boolean answers() {
        try {
            return answer("eth_chainId").has("result");
        } catch (UncheckedIOException e) {
            return false;
        }
    }

    private String logTail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log at " + log + ")";
        }
    }

    private static long quantity(JsonNode hex) {
        return Numeric.toBigInt(hex.asText()).longValueExact();
    }

    /** Stops the node: the npm launcher and the anvil binary it runs. */
    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
    }
}
