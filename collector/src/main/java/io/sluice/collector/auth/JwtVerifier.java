package io.sluice.collector.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.ConfigurableJWTProcessor;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.sluice.collector.config.ConfigException;
import io.sluice.collector.config.OidcConfig;
import java.io.IOException;
import java.text.ParseException;
import java.util.HashSet;
import java.util.Set;

/**
 * Validates OIDC bearer tokens (signed JWTs, RSA or EC, as Keycloak and most IdPs issue them) against a JWKS: the
 * signature, {@code exp}/{@code nbf} (with {@code clockSkewMs}, 60 s by default), {@code iss}, {@code aud} if configured, and a non-empty
 * tenant claim. A JWKS URL is fetched on first use and cached (nimbus: refreshed on an unknown {@code kid}, rate
 * limited), so a verification normally does no I/O. Thread-safe.
 */
public final class JwtVerifier {
  private final ConfigurableJWTProcessor<SecurityContext> processor;
  private final String tenantClaim;

  public JwtVerifier(OidcConfig config) {
    JWKSource<SecurityContext> keys;
    try {
      if (config.jwksFile() != null) {
        keys = new ImmutableJWKSet<>(JWKSet.load(config.jwksFile().toFile()));
      } else {
        keys = JWKSourceBuilder.create(config.jwksUrl().toURL()).build();
      }
    } catch (IOException | ParseException e) {
      throw new ConfigException("auth.oidc.jwksFile", "cannot read a JWKS from " + config.jwksFile() + ": "
          + e.getMessage());
    } catch (IllegalArgumentException e) {
      throw new ConfigException("auth.oidc.jwksUrl", config.jwksUrl() + " is not a URL: " + e.getMessage());
    }
    DefaultJWTProcessor<SecurityContext> p = new DefaultJWTProcessor<>();
    Set<JWSAlgorithm> algs = new HashSet<>();
    algs.addAll(JWSAlgorithm.Family.RSA);
    algs.addAll(JWSAlgorithm.Family.EC);
    p.setJWSKeySelector(new JWSVerificationKeySelector<>(algs, keys));
    JWTClaimsSet exact = new JWTClaimsSet.Builder().issuer(config.issuer()).build();
    DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(config.audience(), exact,
        Set.of("exp", config.tenantClaim()));
    claims.setMaxClockSkew((int) Math.min(Integer.MAX_VALUE, config.clockSkew().toSeconds()));
    p.setJWTClaimsSetVerifier(claims);
    this.processor = p;
    this.tenantClaim = config.tenantClaim();
  }

  /** The tenant of a valid token; throws with a reason a client can act on otherwise. */
  public String verify(String token) throws AuthException {
    try {
      JWTClaimsSet claims = processor.process(token, null);
      Object tenant = claims.getClaim(tenantClaim);
      if (!(tenant instanceof String s) || s.isEmpty()) {
        throw new AuthException(io.grpc.Status.UNAUTHENTICATED, "oidc",
            "the bearer token has no string claim \"" + tenantClaim + "\" naming the tenant");
      }
      return s;
    } catch (ParseException e) {
      throw new AuthException(io.grpc.Status.UNAUTHENTICATED, "oidc", "the bearer token is not a JWT: "
          + e.getMessage());
    } catch (BadJOSEException | JOSEException e) {
      throw new AuthException(io.grpc.Status.UNAUTHENTICATED, "oidc", "the bearer token was rejected: "
          + e.getMessage());
    }
  }

  static boolean looksLikeJwt(String s) {
    return s.chars().filter(c -> c == '.').count() == 2 && s.startsWith("eyJ");
  }
}
