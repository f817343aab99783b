package io.sluice.collector;

import io.sluice.collector.auth.Authenticator;
import io.sluice.collector.auth.JwtVerifier;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.route.Router;

/**
 * The dynamic part of a collector's configuration, ready to use: who may connect (tenants, keys, subjects, OIDC,
 * anonymous) and where records go (routes, allowed topics). Immutable; a reload builds a new one and swaps it in,
 * streams read it per batch. Rate limits are applied to the long-lived {@code TenantLimiter} instead, so that a
 * reload keeps the buckets' state.
 */
public record Policy(CollectorConfig config, Authenticator authenticator, Router router) {

  /** Builds the policy of {@code config}; fails with a ConfigException (naming the key) if it is unusable. */
  public static Policy of(CollectorConfig config) {
    JwtVerifier jwt = config.oidc() == null ? null : new JwtVerifier(config.oidc());
    return new Policy(config, new Authenticator(config, jwt), new Router(config));
  }
}
