package io.sluice.sdk.ship;

import java.net.URI;
import java.nio.file.Path;

/**
 * Where and how to ask for OAuth2 client-credentials tokens ({@code PipelineConfig}'s {@code oauth2*} keys); see
 * {@link Credentials#oauth2(OAuth2Settings)}.
 *
 * @param issuer the OIDC issuer (discovery at {@code /.well-known/openid-configuration}), or null
 * @param tokenUrl the token endpoint, or null to discover it from {@code issuer}
 * @param clientId the client id
 * @param clientSecret the client secret, or null
 * @param clientSecretFile a file holding the client secret (re-read per request), or null
 * @param scope space-separated scopes, or null
 * @param audience an {@code audience} parameter (Auth0, Keycloak token exchange), or null
 */
public record OAuth2Settings(URI issuer, URI tokenUrl, String clientId, String clientSecret, Path clientSecretFile,
    String scope, String audience) {}
