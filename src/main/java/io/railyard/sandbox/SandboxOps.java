package io.railyard.sandbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.railyard.api.ApiProblem;
import io.railyard.api.Problem;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Ops control of the sandboxes ({@code /v1/ops/**}: OPS role, see SecurityConfig): inject faults per rail, read how
 * many times each idempotency key was executed, and wipe a rail. A template rail exists as soon as it is named here,
 * so its faults can be set before its first payout.
 */
@RestController
@SandboxEnabled
@RequestMapping("/v1/ops/sandbox/{rail}")
class SandboxOps {

    private final Sandbox sandbox;
    private final ObjectMapper strict;

    SandboxOps(Sandbox sandbox, ObjectMapper json) {
        this.sandbox = sandbox;
        // A typo in a fault name must not silently inject nothing.
        this.strict = json.copy().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }

    @GetMapping("/faults")
    Faults faults(@PathVariable String rail) {
        return rail(rail).faults();
    }

    @PutMapping(path = "/faults", consumes = MediaType.APPLICATION_JSON_VALUE)
    Faults setFaults(@PathVariable String rail, @RequestBody String body) {
        Faults faults;
        try {
            faults = strict.readValue(body, Faults.class);
        } catch (JsonProcessingException e) {
            throw ApiProblem.badRequest("invalid_faults", "not a fault set: " + e.getOriginalMessage(), null);
        }
        List<Problem.FieldError> errors = faults.violations();
        if (!errors.isEmpty()) {
            throw ApiProblem.invalid("some faults are out of range", errors);
        }
        rail(rail).faults(faults);
        return faults;
    }

    @DeleteMapping("/faults")
    ResponseEntity<Void> resetFaults(@PathVariable String rail) {
        rail(rail).faults(Faults.NONE);
        return ResponseEntity.noContent().build();
    }

    @GetMapping("/executions")
    Map<String, Object> executions(@PathVariable String rail) {
        Rail<?> simulator = rail(rail);
        Map<String, Integer> byKey = simulator.executions();
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("by_key", byKey);
        view.put("total", byKey.values().stream().mapToInt(Integer::intValue).sum());
        Map<String, Integer> byBatch = simulator.bulkExecutions();
        if (!byBatch.isEmpty()) { // bulk requests, by their own key (their lines are counted in by_key)
            view.put("by_batch", byBatch);
        }
        return view;
    }

    @DeleteMapping("/state")
    ResponseEntity<Void> resetState(@PathVariable String rail) {
        rail(rail).reset();
        return ResponseEntity.noContent().build();
    }

    @ExceptionHandler(ApiProblem.class)
    ResponseEntity<Problem> onProblem(ApiProblem problem) {
        return ResponseEntity.status(problem.problem().status())
                .contentType(MediaType.parseMediaType(Problem.MEDIA_TYPE)).body(problem.problem());
    }

    private Rail<?> rail(String name) {
        if (!Sandbox.isValidName(name)) {
            throw ApiProblem.notFound("sandbox rail '" + name + "'");
        }
        return sandbox.rail(name);
    }
}
