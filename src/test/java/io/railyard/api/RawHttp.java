package io.railyard.api;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One HTTP/1.0 exchange over a plain socket with the request line exactly as given: an HTTP client would encode or
 * normalise the path before Tomcat sees it. HTTP/1.0, so the answer is neither chunked nor kept alive: it is simply
 * everything until the server closes.
 */
final class RawHttp {

    record Answer(int status, String contentType, String body) {
    }

    private RawHttp() {
    }

    static Answer send(int port, String requestLine, String authorization) {
        try (Socket socket = new Socket("localhost", port)) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write((requestLine + " HTTP/1.0\r\nHost: localhost\r\nAuthorization: "
                    + authorization + "\r\nContent-Length: 0\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int headEnd = answer.indexOf("\r\n\r\n");
            String[] head = answer.substring(0, headEnd < 0 ? answer.length() : headEnd).split("\r\n");
            String contentType = Arrays.stream(head).skip(1)
                    .filter(header -> header.regionMatches(true, 0, "Content-Type:", 0, 13))
                    .map(header -> header.substring(13).strip()).findFirst().orElse("");
            return new Answer(Integer.parseInt(head[0].split(" ")[1]), contentType,
                    headEnd < 0 ? "" : answer.substring(headEnd + 4));
        } catch (IOException e) {
            throw new UncheckedIOException(requestLine, e);
        }
    }
}
