package io.railyard.window;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * The settlement windows of the hubs under test: config/rails.yaml without any batching, so suites written for rails
 * paying one transfer at a time see them do so; a suite about batching edits it (and reloads) and restores it.
 */
public final class TestRailsTable {

    /** One per test JVM: surefire runs two, and a batching suite's edit must not reach the other's hubs. */
    public static final Path FILE = Path.of("target", "test-rails-" + ProcessHandle.current().pid() + ".yaml");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private TestRailsTable() {
    }

    private static boolean written;
    private static Instant stamp;

    /**
     * The unbatched table's path, written on first use only: a property supplier may be asked again while a suite has
     * the table edited.
     */
    public static synchronized String unbatched() {
        if (!written) {
            restore();
            written = true;
        }
        return FILE.toAbsolutePath().toString();
    }

    /** Writes the unbatched table again (after a suite's edit). */
    public static synchronized void restore() {
        write(rails -> { });
    }

    /** The unbatched table with {@code edit} applied to its {@code rails} node. */
    public static synchronized void write(Consumer<ObjectNode> edit) {
        write(FILE, edit);
    }

    /**
     * The unbatched table with {@code edit} applied, in a file of its own (hubs in child JVMs given their own table,
     * apart from the one this JVM's hubs read).
     */
    public static synchronized Path write(Path file, Consumer<ObjectNode> edit) {
        try {
            JsonNode table = YAML.readTree(Path.of("config", "rails.yaml").toFile());
            table.get("rails").forEach(rail -> {
                ((ObjectNode) rail).remove("batching");
                rail.path("currencies").forEach(currency -> ((ObjectNode) currency).remove("batching"));
            });
            edit.accept((ObjectNode) table.get("rails"));
            Files.createDirectories(file.toAbsolutePath().getParent());
            YAML.writeValue(file.toFile(), table);
            // the hub reloads on a changed modification time: make each write's differ, whatever the file system's grain
            stamp = stamp == null || Instant.now().isAfter(stamp.plusSeconds(1)) ? Instant.now() : stamp.plusSeconds(1);
            Files.setLastModifiedTime(file, FileTime.from(stamp));
            return file.toAbsolutePath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
