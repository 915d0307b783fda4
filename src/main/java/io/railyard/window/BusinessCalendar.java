package io.railyard.window;

import de.focus_shift.jollyday.core.Holiday;
import de.focus_shift.jollyday.core.HolidayCalendar;
import de.focus_shift.jollyday.core.HolidayManager;
import de.focus_shift.jollyday.core.HolidayType;
import de.focus_shift.jollyday.core.ManagerParameters;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.Year;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A country's bank business days: Jollyday's public holidays, corrected by the closures and openings the central
 * bank publishes (config {@code calendars.<code>} in rails.yaml). Weekends are never business days.
 */
public final class BusinessCalendar {

    private static final Map<String, HolidayCalendar> COUNTRIES = Map.of("BR", HolidayCalendar.BRAZIL,
            "MX", HolidayCalendar.MEXICO, "US", HolidayCalendar.UNITED_STATES);

    private final String code;
    private final HolidayManager holidays;
    private final Map<LocalDate, String> closures;
    private final Map<LocalDate, String> openings;
    private final Map<Integer, Map<LocalDate, String>> byYear = new ConcurrentHashMap<>();

    public BusinessCalendar(String code, Map<LocalDate, String> closures, Map<LocalDate, String> openings) {
        HolidayCalendar country = COUNTRIES.get(code);
        if (country == null) {
            throw new IllegalArgumentException("no calendar " + code + " (known: " + COUNTRIES.keySet() + ")");
        }
        this.code = code;
        this.holidays = HolidayManager.getInstance(ManagerParameters.create(country));
        this.closures = Map.copyOf(closures);
        this.openings = Map.copyOf(openings);
    }

    public static boolean known(String code) {
        return COUNTRIES.containsKey(code);
    }

    public String code() {
        return code;
    }

    /** The bank holidays of a year (weekday or not), with their names. */
    public Map<LocalDate, String> holidays(int year) {
        return byYear.computeIfAbsent(year, y -> {
            Map<LocalDate, String> days = new TreeMap<>();
            for (Holiday holiday : holidays.getHolidays(Year.of(y), HolidayType.PUBLIC_HOLIDAY)) {
                days.put(holiday.getActualDate(), holiday.getDescription());
            }
            closures.forEach((date, why) -> {
                if (date.getYear() == y) {
                    days.put(date, why);
                }
            });
            openings.keySet().forEach(days::remove);
            return Map.copyOf(days);
        });
    }

    /** Why a date is not a business day, or empty when it is one. */
    public Optional<String> closedBecause(LocalDate date) {
        String holiday = holidays(date.getYear()).get(date);
        if (holiday != null) {
            return Optional.of("holiday: " + holiday);
        }
        if (date.getDayOfWeek() == DayOfWeek.SATURDAY || date.getDayOfWeek() == DayOfWeek.SUNDAY) {
            return Optional.of("weekend: " + date.getDayOfWeek().name().toLowerCase());
        }
        return Optional.empty();
    }

    public boolean isBusinessDay(LocalDate date) {
        return closedBecause(date).isEmpty();
    }

    public LocalDate nextBusinessDay(LocalDate from) {
        LocalDate day = from;
        while (!isBusinessDay(day)) {
            day = day.plusDays(1);
        }
        return day;
    }
}
