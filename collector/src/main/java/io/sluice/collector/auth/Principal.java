package io.sluice.collector.auth;

/**
 * Who a stream belongs to, once authenticated.
 *
 * @param tenant the tenant every record of the stream is written for ("" only for anonymous clients without one)
 * @param method how it was proven: {@code api-key}, {@code mtls}, {@code oidc} or {@code anonymous}
 */
public record Principal(String tenant, String method) {}
