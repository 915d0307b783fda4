package io.railyard.connector;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.railyard.ledger.CurrencyCode;
import io.railyard.refund.Refunds;
import io.railyard.routing.TransferRouter;
import io.railyard.transfer.Transfer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.Resource;
import org.apache.camel.spring.boot.CamelContextConfiguration;
import org.apache.camel.support.PluginHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.stereotype.Component;

/**
 * Discovers the rail connectors: every folder of {@code connectors/} not starting with {@code _} holding a
 * {@code connector.yaml} and its {@code *.camel.yaml} routes. Each is validated before Camel starts (descriptor shape,
 * status map, required parameters set and matching their pattern, every {@code {{railyard.connectors.<rail>.x}}} the
 * routes use declared) and its routes loaded. Any fault stops start-up with the file and the fault named.
 */
@Component("connectorRegistry")
public class ConnectorRegistry implements CamelContextConfiguration {

    private static final Logger log = LoggerFactory.getLogger(ConnectorRegistry.class);
    private static final Pattern RAIL = Pattern.compile("[a-z0-9][a-z0-9-]{0,39}");
    private static final Pattern FAILURE_CODE = Pattern.compile("[A-Za-z0-9_:.-]{1,64}");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final Path directory;
    private final ConfigurableEnvironment env;
    private final Map<String, ConnectorDescriptor> connectors;
    /** Each rail's status-read pacing, resolved once: the hot path reads it per payout and per status read. */
    private final Map<String, StatusReads> statusReads;

    @Autowired
    public ConnectorRegistry(@Value("${railyard.home}") String home, ConfigurableEnvironment env) {
        this(Path.of(home), env);
    }

    public ConnectorRegistry(Path home, ConfigurableEnvironment env) {
        this.directory = home.resolve("connectors");
        this.env = env;
        this.connectors = discover();
        this.statusReads = connectors.keySet().stream().collect(Collectors.toUnmodifiableMap(rail -> rail,
                rail -> new StatusReads(env.getProperty(parameterKey(rail, "poll-interval-ms"), Long.class,
                        StatusReads.DEFAULT.intervalMs()),
                        env.getProperty(parameterKey(rail, "max-polls"), Integer.class, StatusReads.DEFAULT.max()))));
    }

    public Optional<ConnectorDescriptor> find(String rail) {
        return Optional.ofNullable(connectors.get(rail));
    }

    public Map<String, ConnectorDescriptor> all() {
        return connectors;
    }

    /** The hub's outcome for a status this rail reported; UNKNOWN when its status map lacks the status. */
    public RailOutcome outcome(String rail, String railStatus) {
        ConnectorDescriptor connector = connectors.get(rail);
        String mapped = connector == null || railStatus == null ? null : connector.statuses().get(railStatus);
        return mapped == null ? RailOutcome.UNKNOWN : RailOutcome.valueOf(mapped);
    }

    /** The hub's outcome for the status of a refund on this rail; UNKNOWN when its refund status map lacks it. */
    public RailOutcome refundOutcome(String rail, String railStatus) {
        ConnectorDescriptor connector = connectors.get(rail);
        String mapped = connector == null || railStatus == null || connector.refundStatuses() == null ? null
                : connector.refundStatuses().get(railStatus);
        return mapped == null ? RailOutcome.UNKNOWN : RailOutcome.valueOf(mapped);
    }

    /** Whether the rail has a refund flow (its connector maps refund statuses and consumes the refund topic). */
    public boolean refunds(String rail) {
        ConnectorDescriptor connector = connectors.get(rail);
        return connector != null && connector.refundStatuses() != null && !connector.refundStatuses().isEmpty();
    }

    /**
     * Whether the rail's refunds wait for the beneficiary to send the money back (its connector declares a
     * {@code refund-wait} parameter, e.g. Base USDC): such a refund is looked for until that wait is over, when its
     * connector fails it, so the recheck sweep's attempt limit does not apply to it.
     */
    public boolean awaitsRefunds(String rail) {
        ConnectorDescriptor connector = connectors.get(rail);
        return connector != null && connector.parameters() != null
                && connector.parameters().containsKey("refund-wait");
    }

    /**
     * How many payouts the rail's connector sends at once: its {@code consumers} parameter, the consumers of its
     * instruction topic, each busy with one payout until the rail has it (its order and a first status read; later
     * reads run in rail.status-reads); 1 (one consumer) for a connector that does not declare it.
     */
    public int consumers(String rail) {
        return env.getProperty(parameterKey(rail, "consumers"), Integer.class, 1);
    }

    /**
     * How many refunds the rail's connector works on at once: its {@code refund-consumers} parameter, the consumers of
     * its refund topic; 1 for a connector that does not declare it. Fewer than its payout consumers: refunds are few,
     * and each consumer costs the hub and the broker its polls and heartbeats even when idle (BENCHMARKS.md).
     */
    public int refundConsumers(String rail) {
        return env.getProperty(parameterKey(rail, "refund-consumers"), Integer.class, 1);
    }

    /**
     * How often the rail's status is read while a payout or refund is pending there (rail.status-reads): its
     * {@code poll-interval-ms} parameter, 100 ms for a connector that does not declare it.
     */
    public long pollIntervalMs(String rail) {
        return statusReads.getOrDefault(rail, StatusReads.DEFAULT).intervalMs();
    }

    /**
     * How many reads of a pending payout or refund the connector makes before the recheck sweep takes over: its
     * {@code max-polls} parameter, 20 for a connector that does not declare it.
     */
    public int maxPolls(String rail) {
        return statusReads.getOrDefault(rail, StatusReads.DEFAULT).max();
    }

    private record StatusReads(long intervalMs, int max) {
        static final StatusReads DEFAULT = new StatusReads(100, 20);
    }

    /** The property that sets a connector's parameter, read by its routes as a {@code {{...}}} placeholder. */
    private static String parameterKey(String rail, String name) {
        return "railyard.connectors." + rail + "." + name;
    }

    /** The transfer's fallback rail, when it has one it is not already on and whose connector is here. */
    public Optional<String> fallbackOf(Transfer transfer) {
        return Optional.ofNullable(transfer.fallbackRail())
                .filter(fallback -> !fallback.equals(transfer.rail()) && connectors.containsKey(fallback));
    }

    /** Whether a payout this rail failed with {@code failureCode} may go to the transfer's fallback rail. */
    public boolean reroutes(String rail, String failureCode) {
        ConnectorDescriptor connector = connectors.get(rail);
        return connector != null && failureCode != null && connector.rerouteOn().contains(failureCode);
    }

    /** The rail's bulk payout capability, when its connector declares one (and routes {@code direct:batch.<rail>.send}). */
    public Optional<ConnectorDescriptor.Batches> batches(String rail) {
        return find(rail).map(ConnectorDescriptor::batches);
    }

    /** Whether the rail can report a return after settling (its status map has a RETURNED outcome). */
    public boolean returns(String rail) {
        ConnectorDescriptor connector = connectors.get(rail);
        return connector != null && connector.statuses().containsValue(RailOutcome.RETURNED.name());
    }

    @Override
    public void beforeApplicationStart(CamelContext camel) {
        for (String rail : connectors.keySet()) {
            for (Path file : routeFiles(directory.resolve(rail))) {
                Resource resource = PluginHelper.getResourceLoader(camel).resolveResource("file:" + file);
                try {
                    PluginHelper.getRoutesLoader(camel).loadRoutes(resource);
                } catch (Exception e) {
                    throw new IllegalStateException("connector " + rail + ": " + relative(file)
                            + " cannot be loaded: " + rootMessage(e), e);
                }
            }
            log.info("Connector {} loaded ({})", rail, connectors.get(rail).description());
        }
    }

    @Override
    public void afterApplicationStart(CamelContext camel) {
        // nothing: the connectors' routes start with the context
    }

    private Map<String, ConnectorDescriptor> discover() {
        Path routes = directory.resolveSibling("routes");
        try (Stream<Path> files = Files.isDirectory(routes) ? Files.list(routes) : Stream.empty()) {
            if (files.noneMatch(f -> f.getFileName().toString().endsWith(".yaml"))) {
                throw new IllegalStateException("no YAML routes in " + routes.toAbsolutePath()
                        + " (set RAILYARD_HOME to the folder holding routes/ and connectors/)");
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + routes + ": " + e.getMessage(), e);
        }
        if (!Files.isDirectory(directory)) {
            throw new IllegalStateException("no connectors directory at " + directory.toAbsolutePath()
                    + " (set RAILYARD_HOME to the folder holding routes/ and connectors/)");
        }
        Map<String, ConnectorDescriptor> found = new LinkedHashMap<>();
        Map<String, Object> defaults = new LinkedHashMap<>();
        try (Stream<Path> folders = Files.list(directory)) {
            for (Path folder : folders.filter(Files::isDirectory).sorted().toList()) {
                String rail = folder.getFileName().toString();
                if (!rail.startsWith("_")) {
                    found.put(rail, validate(rail, folder, defaults));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + directory + ": " + e.getMessage(), e);
        }
        env.getPropertySources().addLast(new MapPropertySource("railyard-connector-defaults", defaults));
        return Map.copyOf(found);
    }

    private ConnectorDescriptor validate(String rail, Path folder, Map<String, Object> defaults) {
        Path file = folder.resolve("connector.yaml");
        List<String> faults = new ArrayList<>();
        if (!RAIL.matcher(rail).matches()) {
            faults.add("the folder name must be a rail name: lowercase letters, digits and dashes");
        }
        ConnectorDescriptor descriptor;
        try {
            descriptor = YAML.readValue(file.toFile(), DescriptorFile.class).toDescriptor();
        } catch (IOException e) {
            throw new IllegalStateException("connector " + rail + ": " + relative(file) + " is not valid: "
                    + rootMessage(e), e);
        }
        Map<Path, String> routes = new LinkedHashMap<>(); // each route file and its text, read once
        routeFiles(folder).forEach(route -> routes.put(route, read(route)));
        if (!rail.equals(descriptor.rail())) {
            faults.add("rail is '" + descriptor.rail() + "' but the folder is '" + rail + "'");
        }
        if (descriptor.currencies() == null || descriptor.currencies().isEmpty()) {
            faults.add("currencies lists none");
        } else {
            descriptor.currencies().stream().filter(c -> CurrencyCode.parse(c).isEmpty())
                    .forEach(c -> faults.add("currency " + c + " is not one of USD, BRL, MXN, USDC"));
        }
        if (descriptor.statuses() == null || descriptor.statuses().isEmpty()) {
            faults.add("statuses maps no rail status");
        } else {
            descriptor.statuses().forEach((status, outcome) -> {
                if (!RailOutcome.mappable(outcome)) {
                    faults.add("statuses." + status + " maps to '" + outcome
                            + "', not one of PENDING, SETTLED, FAILED, RETURNED");
                }
            });
        }
        if (descriptor.refundStatuses() != null) {
            descriptor.refundStatuses().forEach((status, outcome) -> {
                if (!RailOutcome.mappable(outcome) || RailOutcome.RETURNED.name().equals(outcome)) {
                    faults.add("refund-statuses." + status + " maps to '" + outcome
                            + "', not one of PENDING, SETTLED, FAILED");
                }
            });
            String topic = Refunds.instructionTopic(rail);
            if (routes.values().stream().noneMatch(route -> route.contains("kafka:" + topic))) {
                faults.add("refund-statuses is set but no *.camel.yaml route consumes kafka:" + topic);
            }
        }
        requireStatusRead(rail, routes.values(), "payout", TransferRouter.instructionTopic(rail),
                descriptor.statuses(), faults);
        requireStatusRead(rail, routes.values(), "refund", Refunds.instructionTopic(rail), descriptor.refundStatuses(),
                faults);
        descriptor.rerouteOn().stream().filter(code -> !FAILURE_CODE.matcher(code).matches()).forEach(code ->
                faults.add("reroute-on lists '" + code + "', not a failure code (letters, digits, _ : . -)"));
        if (descriptor.batches() != null) {
            if (descriptor.batches().maxLines() < 1) {
                faults.add("batches.max-lines must be at least 1");
            }
            String endpoint = "direct:batch." + rail + ".send";
            if (routes.values().stream().noneMatch(route -> route.contains(endpoint))) {
                faults.add("batches is set but no *.camel.yaml route consumes " + endpoint);
            }
        }
        Map<String, ConnectorDescriptor.Parameter> parameters = descriptor.parameters() == null ? Map.of()
                : descriptor.parameters();
        parameters.forEach((name, parameter) -> {
            String key = parameterKey(rail, name);
            String value = env.getProperty(key, parameter.defaultValue() == null ? "" : parameter.defaultValue());
            if (value.isEmpty() && parameter.required()) {
                faults.add("parameter " + name + " is required: set " + key);
            } else if (!value.isEmpty() && parameter.pattern() != null && !value.matches(parameter.pattern())) {
                faults.add("parameter " + name + (parameter.secret() ? " (secret)" : " = '" + value + "'")
                        + " does not match " + parameter.pattern());
            }
            if (env.getProperty(key) == null && parameter.defaultValue() != null) {
                defaults.put(key, parameter.defaultValue());
            }
        });
        if (routes.isEmpty()) {
            faults.add("no *.camel.yaml route file");
        }
        for (Map.Entry<Path, String> route : routes.entrySet()) {
            for (String used : usedParameters(rail, route.getValue())) {
                if (!parameters.containsKey(used)) {
                    faults.add(relative(route.getKey()) + " uses {{railyard.connectors." + rail + "." + used
                            + "}} which connector.yaml does not declare");
                }
            }
        }
        if (!faults.isEmpty()) {
            throw new IllegalStateException("connector " + rail + " (" + relative(file) + ") is invalid: "
                    + String.join("; ", faults));
        }
        return descriptor;
    }

    /**
     * A flow (payout or refund) whose route hands a pending answer to {@code direct:rail.answered} is read again there
     * through the connector's status read, {@code direct:<flow>.<rail>.get-status}: it must be routed.
     */
    private static void requireStatusRead(String rail, Collection<String> routes, String flow, String topic,
            Map<String, String> statuses, List<String> faults) {
        String statusRead = "direct:" + flow + "." + rail + ".get-status";
        if (statuses != null && statuses.containsValue(RailOutcome.PENDING.name())
                && routes.stream().anyMatch(route -> route.contains("kafka:" + topic)
                        && route.contains("direct:rail.answered"))
                && routes.stream().noneMatch(route -> route.contains("uri: " + statusRead))) {
            faults.add("its " + flow + "s wait in direct:rail.answered but no *.camel.yaml route consumes "
                    + statusRead);
        }
    }

    private static TreeSet<String> usedParameters(String rail, String route) {
        TreeSet<String> used = new TreeSet<>();
        Matcher m = Pattern.compile("\\{\\{railyard\\.connectors\\." + Pattern.quote(rail)
                + "\\.([a-zA-Z0-9-]+)").matcher(route);
        while (m.find()) {
            used.add(m.group(1));
        }
        return used;
    }

    private static String read(Path route) {
        try {
            return Files.readString(route);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + route + ": " + e.getMessage(), e);
        }
    }

    private static List<Path> routeFiles(Path folder) {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".camel.yaml")).sorted().toList();
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + folder + ": " + e.getMessage(), e);
        }
    }

    private String relative(Path file) {
        return "connectors/" + directory.relativize(file);
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }

    /** The file's shape: kebab-case keys as an integration engineer writes them. */
    record DescriptorFile(String rail, String description, List<String> currencies,
            Map<String, ParameterFile> parameters, Map<String, String> statuses,
            @JsonProperty("refund-statuses") Map<String, String> refundStatuses,
            @JsonProperty("reroute-on") List<String> rerouteOn, BatchesFile batches) {
        ConnectorDescriptor toDescriptor() {
            Map<String, ConnectorDescriptor.Parameter> params = new LinkedHashMap<>();
            if (parameters != null) {
                parameters.forEach((name, p) -> params.put(name, new ConnectorDescriptor.Parameter(p == null ? null
                        : p.description(), p != null && Boolean.TRUE.equals(p.required()), p == null ? null : p.value(),
                        p == null ? null : p.pattern(), p != null && Boolean.TRUE.equals(p.secret()))));
            }
            return new ConnectorDescriptor(rail, description, currencies, params, statuses, refundStatuses,
                    rerouteOn == null ? Set.of() : new LinkedHashSet<>(rerouteOn),
                    batches == null ? null : new ConnectorDescriptor.Batches(batches.maxLines() == null ? 0
                            : batches.maxLines(), Boolean.TRUE.equals(batches.netting())));
        }
    }

    record BatchesFile(@JsonProperty("max-lines") Integer maxLines, Boolean netting) {
    }

    record ParameterFile(String description, Boolean required, @JsonProperty("default") String value, String pattern,
            Boolean secret) {
    }
}
