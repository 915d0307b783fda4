package io.railyard.cluster;

import io.railyard.HubTest;

/**
 * Base of the suites that run hubs as child JVMs: it is a {@link HubTest} so that its rails are the sandboxes of the
 * hub the test JVM already runs for the other suites, rather than a hub of their own started per suite.
 */
abstract class ClusterSuite extends HubTest {

    /** A cluster (its own PostgreSQL and broker) paying through this JVM's shared hub. */
    protected TestCluster newCluster() throws Exception {
        return new TestCluster("http://localhost:" + port, opsAuthorization());
    }
}
