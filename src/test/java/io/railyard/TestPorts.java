package io.railyard;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;

/** Ports for servers a test starts itself (a hub, a broker, a database) when the port must be known beforehand. */
public final class TestPorts {

    private TestPorts() {
    }

    /** A port free at this moment (the operating system's choice). */
    public static int free() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
