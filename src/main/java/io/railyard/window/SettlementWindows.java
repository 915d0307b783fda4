package io.railyard.window;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;

/**
 * Whether a rail takes payments now, and if not, when it will: per-rail windows and cut-offs in the rail's zone,
 * business-day calendars, and ops' emergency overrides. Reads {@code config/rails.yaml} (reloaded when it changes;
 * an invalid edit is refused and the table in force stays).
 */
@Service("settlementWindows")
public class SettlementWindows {

    private static final Logger log = LoggerFactory.getLogger(SettlementWindows.class);
    private static final int HORIZON_DAYS = 30;

    private final Path file;
    private final Clock clock;
    private final JdbcClient jdbc;
    private volatile WindowTable table;
    private volatile FileTime loaded;

    @Autowired
    public SettlementWindows(@Value("${railyard.windows.table:${railyard.home}/config/rails.yaml}") String file,
            Clock clock, JdbcClient jdbc) {
        this(Path.of(file), clock, jdbc);
    }

    public SettlementWindows(Path file, Clock clock, JdbcClient jdbc) {
        this.file = file;
        this.clock = clock;
        this.jdbc = jdbc;
        this.table = WindowTable.load(file);
        this.loaded = modified(file);
    }

    /** Where a rail stands for a currency at an instant. */
    public record State(String rail, String currency, boolean open, Instant nextOpen, Instant nextCutoff,
            boolean businessDay, String closedBecause, LocalDate bookingDate, String zone, String override) {
    }

    public State now(String rail, String currency) {
        return at(rail, currency, clock.instant());
    }

    public State at(String rail, String currency, Instant at) {
        WindowTable.RailWindows windows = table.rails().get(rail);
        if (windows == null) {
            return new State(rail, currency, true, at, null, true, null, null, "UTC", null); // no window: always open
        }
        WindowTable.Window window = windows.forCurrency(currency);
        Optional<Override> override = override(rail, currency, at);
        if (override.isPresent() && override.get().state().equals("OPEN")) {
            return new State(rail, currency, true, at, override.get().until(), true, null,
                    at.atZone(window.zone()).toLocalDate(), window.zone().getId(), "open until " + override.get().until()
                            + " (" + override.get().reason() + ")");
        }
        if (override.isPresent() && override.get().state().equals("CLOSED")) {
            Instant until = override.get().until();
            if (until == null) { // closed until ops clear it: no opening to announce, the queue waits
                return new State(rail, currency, false, null, null, false, "closed by ops: "
                        + override.get().reason(), null, window.zone().getId(), "closed until cleared");
            }
            State after = compute(rail, currency, window, until);
            return new State(rail, currency, false, after.open() ? until : after.nextOpen(), after.nextCutoff(),
                    after.businessDay(), "closed by ops: " + override.get().reason(), after.bookingDate(),
                    window.zone().getId(), "closed until " + until);
        }
        return compute(rail, currency, window, at);
    }

    private static State compute(String rail, String currency, WindowTable.Window w, Instant at) {
        ZonedDateTime local = at.atZone(w.zone());
        LocalDate today = local.toLocalDate();
        Optional<String> closedToday = closedOn(w, today);
        boolean businessDay = w.calendar() == null ? w.days().contains(today.getDayOfWeek())
                : w.calendar().isBusinessDay(today);
        LocalDate booking = w.calendar() == null ? today : w.calendar().nextBusinessDay(today);
        if (w.alwaysOpen()) {
            if (closedToday.isEmpty()) {
                return new State(rail, currency, true, at, null, businessDay, null, booking, w.zone().getId(), null);
            }
            LocalDate next = nextDay(w, today.plusDays(1));
            return new State(rail, currency, false, next.atStartOfDay(w.zone()).toInstant(), null, businessDay,
                    closedToday.get(), booking, w.zone().getId(), null);
        }
        if (closedToday.isEmpty() && !local.toLocalTime().isBefore(w.open())
                && local.toLocalTime().isBefore(w.cutoff())) {
            return new State(rail, currency, true, at, today.atTime(w.cutoff()).atZone(w.zone()).toInstant(),
                    businessDay, null, booking, w.zone().getId(), null);
        }
        String why = closedToday.orElse(local.toLocalTime().isBefore(w.open()) ? "before opening at " + w.open()
                : "after the " + w.cutoff() + " cut-off");
        LocalDate next = closedToday.isEmpty() && local.toLocalTime().isBefore(w.open()) ? today
                : nextDay(w, today.plusDays(1));
        return new State(rail, currency, false, next.atTime(w.open()).atZone(w.zone()).toInstant(),
                next.atTime(w.cutoff()).atZone(w.zone()).toInstant(), businessDay, why, booking, w.zone().getId(), null);
    }

    private static Optional<String> closedOn(WindowTable.Window w, LocalDate day) {
        if (!w.days().contains(day.getDayOfWeek())) {
            return Optional.of("no window on " + day.getDayOfWeek().name().toLowerCase());
        }
        if (w.calendar() != null && !w.openOnHolidays()) {
            return w.calendar().closedBecause(day);
        }
        return Optional.empty();
    }

    private static LocalDate nextDay(WindowTable.Window w, LocalDate from) {
        LocalDate day = from;
        for (int i = 0; i < HORIZON_DAYS && closedOn(w, day).isPresent(); i++) {
            day = day.plusDays(1);
        }
        return day;
    }

    /**
     * The aggregation window of a batched rail that holds an instruction routed at {@code at}: the slice of the day (in
     * the rail's zone) containing it, ended early by the day's cut-off; {@code maxItems} and {@code netting} as
     * configured. Empty when the rail (or this currency of it) is not batched.
     */
    public record BatchWindow(String rail, String currency, Instant start, Instant end, int maxItems,
            boolean netting) {
    }

    public Optional<BatchWindow> batchWindow(String rail, String currency, Instant at) {
        WindowTable.RailWindows windows = table.rails().get(rail);
        WindowTable.Window w = windows == null ? null : windows.forCurrency(currency);
        if (w == null || w.batching() == null) {
            return Optional.empty();
        }
        Duration length = w.batching().window();
        ZonedDateTime local = at.atZone(w.zone());
        ZonedDateTime midnight = local.toLocalDate().atStartOfDay(w.zone());
        long slice = Duration.between(midnight, local).toNanos() / length.toNanos();
        Instant start = midnight.toInstant().plus(length.multipliedBy(slice));
        Instant end = min(start.plus(length), local.toLocalDate().plusDays(1).atStartOfDay(w.zone()).toInstant());
        if (!w.alwaysOpen()) {
            Instant cutoff = local.toLocalDate().atTime(w.cutoff()).atZone(w.zone()).toInstant();
            end = at.isBefore(cutoff) ? min(end, cutoff) : end;
        }
        return Optional.of(new BatchWindow(rail, currency, start, end, w.batching().maxItems(),
                w.batching().netting()));
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    public List<String> rails() {
        return List.copyOf(new TreeSet<>(table.rails().keySet()));
    }

    public boolean knows(String rail) {
        return table.rails().containsKey(rail);
    }

    public Optional<BusinessCalendar> calendar(String code) {
        return Optional.ofNullable(table.calendars().get(code));
    }

    public Instant now() {
        return clock.instant();
    }

    /** Re-reads config/rails.yaml if it changed; called by the {@code window.table.reload} route. */
    public boolean reloadIfChanged() {
        FileTime version = modified(file);
        if (version == null || version.equals(loaded)) {
            return false;
        }
        loaded = version;
        try {
            table = WindowTable.load(file);
            log.info("Settlement windows reloaded from {}", file);
            return true;
        } catch (IllegalStateException e) {
            log.error("Settlement windows edit refused, the previous table stays in force: {}", e.getMessage());
            return false;
        }
    }

    record Override(String state, Instant until, String reason) {
    }

    private Optional<Override> override(String rail, String currency, Instant at) {
        return jdbc.sql("""
                select state, until, reason from window_overrides
                where rail = ? and (currency is null or currency = ?) order by id desc limit 1""")
                .params(rail, currency)
                .query((rs, n) -> new Override(rs.getString("state"), instant(rs.getTimestamp("until")),
                        rs.getString("reason")))
                .optional()
                .filter(o -> !o.state().equals("CLEARED") && (o.until() == null || o.until().isAfter(at)));
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }

    private static FileTime modified(Path file) {
        try {
            return Files.getLastModifiedTime(file);
        } catch (java.io.IOException e) {
            return null;
        }
    }
}
