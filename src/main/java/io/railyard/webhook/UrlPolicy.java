package io.railyard.webhook;

import io.railyard.api.ApiProblem;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;
import org.springframework.stereotype.Component;

/**
 * Which URLs an endpoint may have: absolute http(s) (https only when {@code require-https}), no credentials or
 * fragment; and, unless {@code allow-private-networks}, no host resolving to loopback, private, link-local or other
 * internal addresses (checked at registration and again before every attempt, so a DNS change cannot point the hub at
 * its own network).
 */
@Component
class UrlPolicy {

    private final boolean requireHttps;
    private final boolean allowPrivateNetworks;

    UrlPolicy(WebhookSettings settings) {
        this.requireHttps = settings.requireHttps();
        this.allowPrivateNetworks = settings.allowPrivateNetworks();
    }

    /** The URL, normalised; 422 with field {@code url} when it is not acceptable. */
    URI validate(String url) {
        if (url == null || url.isBlank()) {
            throw ApiProblem.invalid("url", "the endpoint URL is required");
        }
        if (url.length() > 2048) {
            throw ApiProblem.invalid("url", "at most 2048 characters");
        }
        URI uri;
        try {
            uri = new URI(url.trim());
        } catch (URISyntaxException e) {
            throw ApiProblem.invalid("url", "not a valid URL: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !(scheme.equals("http") && !requireHttps)) {
            throw ApiProblem.invalid("url", requireHttps ? "an https:// URL is required" : "an http:// or https:// URL "
                    + "is required");
        }
        if (uri.getHost() == null || uri.getHost().isBlank()) {
            throw ApiProblem.invalid("url", "the URL needs a host");
        }
        if (uri.getRawUserInfo() != null) {
            throw ApiProblem.invalid("url", "credentials in the URL are not accepted: verify the signature instead");
        }
        if (uri.getRawFragment() != null) {
            throw ApiProblem.invalid("url", "a URL fragment is not accepted");
        }
        String refused = refusedAddress(uri);
        if (refused != null) {
            throw ApiProblem.invalid("url", refused);
        }
        return uri;
    }

    /** Why the host may not be called now, or null when it may. */
    String refusedAddress(URI uri) {
        if (allowPrivateNetworks) {
            return null;
        }
        try {
            for (InetAddress address : InetAddress.getAllByName(uri.getHost())) {
                if (isInternal(address)) {
                    return "the host resolves to an internal address (" + address.getHostAddress() + ")";
                }
            }
            return null;
        } catch (UnknownHostException e) {
            return "the host does not resolve";
        }
    }

    static boolean isInternal(InetAddress address) {
        byte[] raw = address.getAddress();
        boolean uniqueLocalV6 = raw.length == 16 && (raw[0] & 0xfe) == 0xfc;
        boolean carrierNat = raw.length == 4 && (raw[0] & 0xff) == 100 && (raw[1] & 0xc0) == 64;
        return address.isAnyLocalAddress() || address.isLoopbackAddress() || address.isLinkLocalAddress()
                || address.isSiteLocalAddress() || address.isMulticastAddress() || uniqueLocalV6 || carrierNat;
    }
}
