package io.railyard.batch;

import io.railyard.api.ApiProblem;
import io.railyard.api.Problem;
import io.railyard.ledger.AccountKey;
import io.railyard.ledger.AccountKind;
import io.railyard.ledger.CurrencyCode;
import io.railyard.ledger.Ledger;
import io.railyard.transfer.TransferValidator;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Checks a whole batch before anything is accepted: every item as a transfer, references unique within the batch, and
 * the partner's available balance against the items' total per currency (in item order). Every fault is listed with
 * the item's index (and CSV line).
 */
@Component
public class BatchValidator {

    private final TransferValidator transfers;
    private final Ledger ledger;
    private final int maxItems;

    public BatchValidator(TransferValidator transfers, Ledger ledger,
            @Value("${railyard.batch.max-items:1000}") int maxItems) {
        this.transfers = transfers;
        this.ledger = ledger;
        this.maxItems = maxItems;
    }

    public record Checked(List<Accepted> valid, List<Problem.FieldError> errors, int total) {
        public Map<Integer, List<Problem.FieldError>> errorsByIndex() {
            Map<Integer, List<Problem.FieldError>> byIndex = new HashMap<>();
            errors.forEach(e -> byIndex.computeIfAbsent(e.index(), i -> new ArrayList<>()).add(e));
            return byIndex;
        }
    }

    public record Accepted(BatchItem item, TransferValidator.Valid transfer) {
    }

    public Checked check(UUID partnerId, List<BatchItem> items) {
        if (items.isEmpty()) {
            throw ApiProblem.unprocessable("batch_empty", "Empty batch", "the batch has no items", "items");
        }
        if (items.size() > maxItems) {
            throw ApiProblem.unprocessable("batch_too_large", "Batch too large", "a batch holds at most " + maxItems
                    + " items; this one has " + items.size(), "items");
        }
        List<Problem.FieldError> errors = new ArrayList<>();
        List<Accepted> valid = new ArrayList<>();
        Map<String, Integer> references = new HashMap<>();
        for (BatchItem item : items) {
            int before = errors.size();
            item.unreadable().forEach((field, reason) -> errors.add(error(item, field, "invalid", reason)));
            try {
                TransferValidator.Valid transfer = transfers.validate(item.request());
                if (errors.size() == before) {
                    valid.add(new Accepted(item, transfer));
                }
            } catch (ApiProblem problem) {
                problem.problem().errors().forEach(e -> errors.add(error(item, e.field(), e.code(), e.reason())));
            }
            String reference = item.request().reference();
            if (reference != null) {
                Integer first = references.putIfAbsent(reference, item.index());
                if (first != null) {
                    errors.add(error(item, "reference", "duplicate_reference", "'" + reference
                            + "' is also the reference of item " + first));
                    valid.removeIf(a -> a.item() == item);
                }
            }
        }
        List<Accepted> covered = new ArrayList<>();
        Map<CurrencyCode, Long> remaining = new EnumMap<>(CurrencyCode.class);
        for (Accepted accepted : valid) {
            CurrencyCode currency = accepted.transfer().sourceCurrency();
            long left = remaining.computeIfAbsent(currency, c -> ledger.balance(AccountKey.partner(
                    partnerId.toString(), c, AccountKind.AVAILABLE)));
            if (accepted.transfer().sourceAmountMinor() > left) {
                errors.add(error(accepted.item(), "amount", "insufficient_funds", "the available " + currency
                        + " balance does not cover this item after the items before it"));
            } else {
                remaining.put(currency, left - accepted.transfer().sourceAmountMinor());
                covered.add(accepted);
            }
        }
        errors.sort(java.util.Comparator.comparing(Problem.FieldError::index));
        return new Checked(covered, errors, items.size());
    }

    private static Problem.FieldError error(BatchItem item, String field, String code, String reason) {
        return new Problem.FieldError(item.index(), item.line(), field, code, reason);
    }
}
