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
 */
public record OidcConfig(Path jwksFile, URI jwksUrl, String issuer, String audience, String tenantClaim) {}
