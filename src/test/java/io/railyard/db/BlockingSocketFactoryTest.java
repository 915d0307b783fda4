package io.railyard.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.railyard.HubTest;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.sql.Connection;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.postgresql.core.PGStream;
import org.postgresql.jdbc.PgConnection;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.util.ReflectionTestUtils;

/** The hub's database connections read through blocking channels, before and after a timed operation. */
class BlockingSocketFactoryTest extends HubTest {

    @Autowired
    private DataSource dataSource;

    @Test
    void aPooledConnectionStaysBlockingAfterThePoolsTimedValidation() throws Exception {
        try (Connection connection = dataSource.getConnection()) {
            assertThat(connection.isValid(1)).isTrue(); // a read with a timeout, as Hikari's validation does
            connection.setNetworkTimeout(Runnable::run, 1_000);
            connection.createStatement().execute("select 1");
            connection.setNetworkTimeout(Runnable::run, 0);
            // pgjdbc keeps its socket in the executor's stream, which it does not expose
            PGStream stream = (PGStream) ReflectionTestUtils.getField(
                    connection.unwrap(PgConnection.class).getQueryExecutor(), "pgStream");
            Socket socket = stream.getSocket();
            assertThat(socket.getChannel()).as("a channel's socket").isNotNull();
            assertThat(socket.getChannel().isBlocking()).isTrue();
        }
    }

    @Test
    void aTimedReadStillTimesOutAndTheSocketThenBlocksAgain() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                Socket socket = new BlockingSocketFactory().createSocket(server.getInetAddress(), server.getLocalPort());
                Socket peer = server.accept()) {
            InputStream in = socket.getInputStream();
            socket.setSoTimeout(50);
            assertThatThrownBy(in::read).isInstanceOf(SocketTimeoutException.class);
            assertThat(socket.getChannel().isBlocking()).isTrue();
            socket.setSoTimeout(0);
            peer.getOutputStream().write(7);
            assertThat(in.read()).isEqualTo(7);
        }
    }
}
