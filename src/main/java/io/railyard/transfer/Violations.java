package io.railyard.transfer;

import io.railyard.api.ApiProblem;
import io.railyard.api.Problem;
import java.util.ArrayList;
import java.util.List;

/** Collects every fault of a request, so a partner fixes them all at once; the first one names the problem's field. */
public final class Violations {

    private final List<Problem.FieldError> errors = new ArrayList<>();

    public void add(String field, String reason) {
        errors.add(new Problem.FieldError(null, null, field, "invalid", reason));
    }

    public boolean isEmpty() {
        return errors.isEmpty();
    }

    public List<Problem.FieldError> list() {
        return List.copyOf(errors);
    }

    public void throwIfAny() {
        if (!errors.isEmpty()) {
            Problem.FieldError first = errors.get(0);
            throw new ApiProblem(Problem.of(422, "validation_failed", "Validation failed", first.field() + ": "
                    + first.reason(), first.field()).withErrors(errors));
        }
    }
}
