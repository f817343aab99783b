package io.sluice.collector.config;

import java.net.URI;
import java.nio.file.Path;

/**
 * OIDC bearer tokens (key {@code auth.oidc}): JWTs signed by a key of the JWKS (a file, or a URL such as Keycloak's
 * {@code /realms/<realm>/protocol/openid-connect/certs}), with {@code iss}, {@code aud} and {@code exp} checked.
 *
 * @param jwksFile a JWKS JSON file, or null
 * @param jwksUrl a JWKS URL (fetched and cached, refreshed on an unknown key id), or null
 * @param issuer the required {@code iss}
 * @param audience the required {@code aud} member, or null to skip the check
 * @param tenantClaim the claim holding the tenant id (default {@code tenant}; Keycloak: map an attribute to it)
 * @param clockSkew how long after {@code exp} (and before {@code nbf}) a token is still accepted (key
 *     {@code clockSkewMs}, default 60 s); short-lived tokens want a short skew, or an expired token works a minute more
 */
public record OidcConfig(Path jwksFile, URI jwksUrl, String issuer, String audience, String tenantClaim,
    java.time.Duration clockSkew) {

  /** The default clock skew, 60 s (nimbus-jose-jwt's). */
  public static final java.time.Duration DEFAULT_CLOCK_SKEW = java.time.Duration.ofSeconds(60);

  public OidcConfig {
    if (clockSkew == null) clockSkew = DEFAULT_CLOCK_SKEW;
    if (clockSkew.isNegative()) {
      throw new ConfigException("auth.oidc.clockSkewMs", "must be >= 0, was " + clockSkew.toMillis());
    }
  }

  /** With the default clock skew. */
  public OidcConfig(Path jwksFile, URI jwksUrl, String issuer, String audience, String tenantClaim) {
    this(jwksFile, jwksUrl, issuer, audience, tenantClaim, DEFAULT_CLOCK_SKEW);
  }
}
