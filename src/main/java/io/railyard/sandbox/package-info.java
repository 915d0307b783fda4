/**
 * Rail sandboxes: one simulator per rail, served over real HTTP by the hub's own server under
 * {@code /sandbox/<rail>/...}, in that rail's API shape. The connectors call them in local mode and in tests.
 *
 * <ul>
 *   <li>{@code /sandbox/circle/v1/payouts} (Circle payouts), {@code /sandbox/pix/v2/pix} (Pix send, BCB API style),
 *       {@code /sandbox/spei/ordenPago} (SPEI, STP style), {@code /sandbox/base/rpc} (Base JSON-RPC, USDC transfers),
 *       {@code /sandbox/template/{rail}/payouts} (the generic rail behind {@code connectors/_template}).</li>
 *   <li>Each executes a payout at most once per idempotency key (claveRastreo, idEnvio, tx hash...) and counts
 *       executions per key, so tests can prove nothing was paid twice.</li>
 *   <li>A create answers pending; the payout is final {@code settle_after_ms} later (0 by default: on the next read),
 *       derived from the clock on read. Every rail also lists a statement for reconciliation.</li>
 *   <li>Ops inject faults per rail at run time ({@code /v1/ops/sandbox/{rail}/faults}): latency, 503s, timeouts,
 *       lost confirmations, failures, late returns, statement drift and duplicates; and read
 *       {@code /executions} or wipe {@code /state}.</li>
 * </ul>
 *
 * Enabled by {@code railyard.sandbox.enabled} (true in config/application.yaml, false in the prod profile). State is
 * in memory and gone at restart. SANDBOX.md documents every API and fault with curl examples.
 */
package io.railyard.sandbox;
