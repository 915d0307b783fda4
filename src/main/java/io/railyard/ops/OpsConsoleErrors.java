package io.railyard.ops;

import io.railyard.api.ApiProblem;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.bind.annotation.ExceptionHandler;

/** A fault in a console page or fragment answers a short HTML message with the problem's status, never a stack trace. */
@ControllerAdvice(annotations = org.springframework.stereotype.Controller.class)
class OpsConsoleErrors {

    @ExceptionHandler(ApiProblem.class)
    ResponseEntity<String> problem(ApiProblem problem) {
        return ResponseEntity.status(problem.problem().status()).contentType(MediaType.TEXT_HTML)
                .body("<p class=\"alert\" role=\"alert\">" + Html.esc(problem.problem().detail()) + "</p>");
    }
}
