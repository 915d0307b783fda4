package io.railyard.partner;

import java.util.UUID;

/** The partner a request acts for, as established by its API key. */
public record PartnerPrincipal(UUID partnerId, String partnerName, UUID keyId) {
}
