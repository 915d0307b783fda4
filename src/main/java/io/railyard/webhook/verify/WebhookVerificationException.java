package io.railyard.webhook.verify;

/** The webhook is not authentic (or not fresh): answer it with 400 or 401 and do not process it. */
public class WebhookVerificationException extends Exception {

    private static final long serialVersionUID = 1L;

    public WebhookVerificationException(String message) {
        super(message);
    }
}
