package io.railyard.window;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code config/rails.yaml}, read and checked: every fault named, or nothing is used. */
record WindowTable(Map<String, RailWindows> rails, Map<String, BusinessCalendar> calendars) {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .setPropertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).findAndRegisterModules();

    /** A rail's default window and its per-currency exceptions. */
    record RailWindows(Window window, Map<String, Window> currencies) {
        Window forCurrency(String currency) {
            return currency == null ? window : currencies.getOrDefault(currency, window);
        }
    }

    /** One window definition, resolved; {@code batching} null: instructions go to the rail one by one. */
    record Window(ZoneId zone, BusinessCalendar calendar, boolean alwaysOpen, Set<DayOfWeek> days, LocalTime open,
            LocalTime cutoff, boolean openOnHolidays, Batching batching) {
    }

    /**
     * Windowed aggregation: instructions are collected per {@code window} (slices of the day in the rail's zone, ending
     * at the cut-off at the latest) into one settlement batch, sent when the slice ends or {@code maxItems} are in it;
     * {@code netting}: one line per beneficiary and currency.
     */
    record Batching(Duration window, int maxItems, boolean netting) {
        static final Duration SHORTEST = Duration.ofSeconds(1);
        static final Duration LONGEST = Duration.ofDays(1);
        static final int MOST_ITEMS = 10_000;
    }

    record WindowFile(String zone, String calendar, Boolean alwaysOpen, List<DayOfWeek> days, String open,
            String cutoff, Boolean openOnHolidays, BatchingFile batching, Map<String, WindowFile> currencies) {
    }

    record BatchingFile(String window, Integer maxItems, Boolean netting) {
    }

    record CalendarFile(Map<LocalDate, String> closures, Map<LocalDate, String> openings) {
    }

    record TableFile(Map<String, WindowFile> rails, Map<String, CalendarFile> calendars) {
    }

    static WindowTable load(Path file) {
        TableFile table;
        try {
            table = YAML.readValue(file.toFile(), TableFile.class);
        } catch (IOException e) {
            throw new IllegalStateException("settlement windows " + file + " are not readable: " + e.getMessage());
        }
        List<String> faults = new ArrayList<>();
        Map<String, BusinessCalendar> calendars = new LinkedHashMap<>();
        if (table.calendars() != null) {
            table.calendars().forEach((code, c) -> {
                if (!BusinessCalendar.known(code)) {
                    faults.add("calendars." + code + " is not a known calendar (BR, MX, US)");
                } else {
                    calendars.put(code, new BusinessCalendar(code, c == null || c.closures() == null ? Map.of()
                            : c.closures(), c == null || c.openings() == null ? Map.of() : c.openings()));
                }
            });
        }
        Map<String, RailWindows> rails = new LinkedHashMap<>();
        if (table.rails() == null || table.rails().isEmpty()) {
            faults.add("rails lists none");
        } else {
            table.rails().forEach((rail, w) -> {
                Window window = resolve(w, null, "rails." + rail, calendars, faults);
                Map<String, Window> currencies = new LinkedHashMap<>();
                if (w.currencies() != null) {
                    w.currencies().forEach((currency, cw) -> currencies.put(currency,
                            resolve(cw, w, "rails." + rail + ".currencies." + currency, calendars, faults)));
                }
                rails.put(rail, new RailWindows(window, Map.copyOf(currencies)));
            });
        }
        if (!faults.isEmpty()) {
            throw new IllegalStateException("settlement windows " + file + " are invalid: " + String.join("; ", faults));
        }
        return new WindowTable(Map.copyOf(rails), Map.copyOf(calendars));
    }

    private static Window resolve(WindowFile w, WindowFile parent, String at, Map<String, BusinessCalendar> calendars,
            List<String> faults) {
        String zoneName = w.zone() != null ? w.zone() : parent == null ? null : parent.zone();
        ZoneId zone = ZoneId.of("UTC");
        try {
            zone = ZoneId.of(zoneName);
        } catch (DateTimeException | NullPointerException e) {
            faults.add(at + ".zone '" + zoneName + "' is not a time zone");
        }
        String calendarCode = w.calendar() != null ? w.calendar() : parent == null ? null : parent.calendar();
        BusinessCalendar calendar = null;
        if (calendarCode != null) {
            calendar = calendars.computeIfAbsent(calendarCode, code -> BusinessCalendar.known(code)
                    ? new BusinessCalendar(code, Map.of(), Map.of()) : null);
            if (calendar == null) {
                faults.add(at + ".calendar '" + calendarCode + "' is not one of BR, MX, US");
            }
        }
        boolean always = Boolean.TRUE.equals(w.alwaysOpen());
        LocalTime open = time(w.open(), at + ".open", faults);
        LocalTime cutoff = time(w.cutoff(), at + ".cutoff", faults);
        if (!always) {
            if (w.days() == null || w.days().isEmpty() || open == null || cutoff == null) {
                faults.add(at + " needs always-open: true, or days, open and cutoff");
            } else if (!open.isBefore(cutoff)) {
                faults.add(at + ".open must be before its cutoff");
            }
        }
        boolean onHolidays = w.openOnHolidays() != null ? w.openOnHolidays() : always;
        BatchingFile batching = w.batching() != null ? w.batching() : parent == null ? null : parent.batching();
        return new Window(zone, calendar, always, w.days() == null ? EnumSet.allOf(DayOfWeek.class)
                : EnumSet.copyOf(w.days()), open, cutoff, onHolidays, batching(batching, at + ".batching", faults));
    }

    private static Batching batching(BatchingFile b, String at, List<String> faults) {
        if (b == null) {
            return null;
        }
        int known = faults.size();
        Duration window = null;
        try {
            window = b.window() == null ? null : Duration.parse(b.window());
        } catch (DateTimeException e) {
            // named below
        }
        if (window == null || window.compareTo(Batching.SHORTEST) < 0 || window.compareTo(Batching.LONGEST) > 0
                || Batching.LONGEST.toNanos() % window.toNanos() != 0) {
            faults.add(at + ".window '" + b.window() + "' must be an ISO-8601 duration from PT1S to P1D that divides a"
                    + " day (PT5M, PT1H...)");
        }
        if (b.maxItems() == null || b.maxItems() < 1 || b.maxItems() > Batching.MOST_ITEMS) {
            faults.add(at + ".max-items must be 1 to " + Batching.MOST_ITEMS);
        }
        if (b.netting() == null) {
            faults.add(at + ".netting must be true or false");
        }
        return faults.size() == known ? new Batching(window, b.maxItems(), b.netting()) : null;
    }

    private static LocalTime time(String value, String at, List<String> faults) {
        if (value == null) {
            return null;
        }
        try {
            return LocalTime.parse(value);
        } catch (DateTimeException e) {
            faults.add(at + " '" + value + "' is not a time (HH:mm)");
            return null;
        }
    }
}
