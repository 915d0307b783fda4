package io.railyard.window;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The shipped calendars (Jollyday + the closures and openings of config/rails.yaml) against the bank holidays the
 * central banks' calendars publish: ANBIMA's national holidays (Brazil) and the CNBV's bank holidays (Mexico).
 */
class BusinessCalendarTest {

    private final WindowTable table = WindowTable.load(Path.of("config/rails.yaml"));

    @Test
    void brazil2026And2027() {
        assertThat(holidays("BR", 2026)).isEqualTo(dates("2026-01-01", "2026-02-16", "2026-02-17", "2026-04-03",
                "2026-04-21", "2026-05-01", "2026-06-04", "2026-09-07", "2026-10-12", "2026-11-02", "2026-11-15",
                "2026-11-20", "2026-12-25"));
        assertThat(holidays("BR", 2027)).isEqualTo(dates("2027-01-01", "2027-02-08", "2027-02-09", "2027-03-26",
                "2027-04-21", "2027-05-01", "2027-05-27", "2027-09-07", "2027-10-12", "2027-11-02", "2027-11-15",
                "2027-11-20", "2027-12-25"));
    }

    @Test
    void mexico2026And2027() {
        assertThat(holidays("MX", 2026)).isEqualTo(dates("2026-01-01", "2026-02-02", "2026-03-16", "2026-04-02",
                "2026-04-03", "2026-05-01", "2026-09-16", "2026-11-02", "2026-11-16", "2026-12-12", "2026-12-25"));
        assertThat(holidays("MX", 2027)).isEqualTo(dates("2027-01-01", "2027-02-01", "2027-03-15", "2027-03-25",
                "2027-03-26", "2027-05-01", "2027-09-16", "2027-11-02", "2027-11-15", "2027-12-12", "2027-12-25"));
    }

    @Test
    void aBusinessDaySaysWhyNot() {
        BusinessCalendar brazil = table.calendars().get("BR");
        assertThat(brazil.closedBecause(LocalDate.parse("2027-02-08"))).hasValueSatisfying(
                why -> assertThat(why).startsWith("holiday: Carnaval"));
        assertThat(brazil.closedBecause(LocalDate.parse("2026-11-21"))).contains("weekend: saturday");
        assertThat(brazil.isBusinessDay(LocalDate.parse("2027-02-10"))).as("Ash Wednesday: banks open").isTrue();
        assertThat(brazil.nextBusinessDay(LocalDate.parse("2027-02-06"))).isEqualTo(LocalDate.parse("2027-02-10"));
    }

    private Set<LocalDate> holidays(String calendar, int year) {
        return table.calendars().get(calendar).holidays(year).keySet();
    }

    private static Set<LocalDate> dates(String... days) {
        return Stream.of(days).map(LocalDate::parse).collect(Collectors.toSet());
    }
}
