package io.railyard.reconciliation;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code railyard.reconciliation.*} (README "Reconciliation").
 *
 * @param enabled              whether the scheduled runs are installed (on-demand runs always work)
 * @param cron                 when each rail's daily run fires (Quartz cron, UTC), unless the rail sets its own
 * @param period               the period a scheduled run covers, ending at the last midnight UTC
 * @param dateWindow           slack around the period: statement lines and transfers this far outside it are read too,
 *                             so a payout the rail dated just across midnight still finds its transfer
 * @param amountToleranceMinor difference (minor units) still taken as equal when matched by reference
 * @param workMem              PostgreSQL work_mem of a run's transaction (hash joins and sorts of a million lines stay
 *                             in memory)
 * @param rules                the rules tried, in order, on what matching by rail reference and transfer key left
 * @param rails                per-rail overrides ({@code cron}, {@code enabled})
 */
@ConfigurationProperties("railyard.reconciliation")
public record ReconciliationSettings(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("0 30 2 * * ?") String cron,
        @DefaultValue("P1D") Duration period,
        @DefaultValue("PT2H") Duration dateWindow,
        @DefaultValue("0") long amountToleranceMinor,
        @DefaultValue("128MB") String workMem,
        List<Rule> rules,
        Map<String, RailSchedule> rails) {

    public ReconciliationSettings {
        rules = rules == null ? List.of() : List.copyOf(rules);
        rails = rails == null ? Map.of() : Map.copyOf(rails);
        if (!workMem.matches("[0-9]{1,6}(kB|MB|GB)")) {
            throw new IllegalArgumentException("railyard.reconciliation.work-mem '" + workMem + "' is not like 128MB");
        }
        for (Rule rule : rules) {
            if (rule.name() == null || !rule.name().matches("[a-z0-9-]{1,40}")) {
                throw new IllegalArgumentException("railyard.reconciliation.rules: name '" + rule.name()
                        + "' is not [a-z0-9-]{1,40}");
            }
            if (rule.amountToleranceMinor() < 0 || rule.dateWindow() == null || rule.dateWindow().isNegative()) {
                throw new IllegalArgumentException("railyard.reconciliation.rules." + rule.name()
                        + ": amount-tolerance-minor must be >= 0 and date-window set");
            }
            if (rule.group() && !rule.matchReference()) {
                throw new IllegalArgumentException("railyard.reconciliation.rules." + rule.name()
                        + ": a group rule groups by reference (match-reference: true)");
            }
        }
    }

    /**
     * A matching rule: a transfer and a line (or, with {@code group}, the transfers and lines sharing one reference:
     * one-to-many and many-to-one) match when their currency is the same, their amounts differ by at most
     * {@code amountToleranceMinor}, their times by at most {@code dateWindow}, and, with {@code matchReference}, the
     * transfer's reference is the line's. A line and a transfer pair only when each is the other's closest in time.
     */
    public record Rule(String name, @DefaultValue("0") long amountToleranceMinor, Duration dateWindow,
            @DefaultValue("false") boolean matchReference, @DefaultValue("false") boolean group) {
    }

    public record RailSchedule(String cron, @DefaultValue("true") boolean enabled) {
    }

    String cronOf(String rail) {
        RailSchedule schedule = rails.get(rail);
        return schedule != null && schedule.cron() != null ? schedule.cron() : cron;
    }

    boolean scheduled(String rail) {
        RailSchedule schedule = rails.get(rail);
        return enabled && (schedule == null || schedule.enabled());
    }
}
