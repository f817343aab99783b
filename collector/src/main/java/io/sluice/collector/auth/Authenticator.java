package io.sluice.collector.auth;

import io.grpc.Status;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.config.TenantConfig;
import io.sluice.proto.v1.Hello;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Decides who a stream belongs to from its Hello and its TLS session, in this order: {@code Hello.credentials}
 * (a {@code Bearer <JWT>} or bare JWT when OIDC is configured, else an API key compared by SHA-256 digest), then
 * the client certificate (CN and SANs mapped through {@code tenants.*.mtlsSubjects}), then anonymous access if
 * allowed. A Hello naming a tenant other than the proven one is PERMISSION_DENIED, and so is a valid token whose
 * tenant is not under {@code tenants} unless {@code auth.allowUnknownTenants} is true. Immutable; a config reload builds
 * a new one. Thread-safe; does no I/O except a JWKS URL's first fetch.
 */
public final class Authenticator {
  private final Map<String, String> tenantByKeyDigest = new HashMap<>();
  private final Map<String, String> tenantBySubject = new HashMap<>();
  private final JwtVerifier jwt;
  private final boolean anonymous;
  private final java.util.Set<String> knownTenants;
  private final boolean allowUnknownTenants;

  public Authenticator(CollectorConfig config, JwtVerifier jwt) {
    for (TenantConfig t : config.tenants().values()) {
      t.apiKeySha256().forEach(d -> tenantByKeyDigest.put(d, t.name()));
      t.mtlsSubjects().forEach(s -> tenantBySubject.put(s, t.name()));
    }
    this.jwt = jwt;
    this.anonymous = config.anonymous();
    this.knownTenants = java.util.Set.copyOf(config.tenants().keySet());
    this.allowUnknownTenants = config.allowUnknownTenants();
  }

  /** Lowercase hex SHA-256 of an API key, as written in {@code tenants.*.apiKeys} after {@code sha256:}. */
  public static String sha256Hex(String key) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(key.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public Principal authenticate(Hello hello, SSLSession tls) throws AuthException {
    Principal p = prove(hello, tls);
    if (!hello.getTenant().isEmpty() && !p.method().equals("anonymous") && !hello.getTenant().equals(p.tenant())) {
      throw new AuthException(Status.PERMISSION_DENIED, p.method(), "Hello.tenant \"" + hello.getTenant()
          + "\" does not match the tenant of the credentials (\"" + p.tenant() + "\"); leave it empty or fix it");
    }
    return p;
  }

  private Principal prove(Hello hello, SSLSession tls) throws AuthException {
    String cred = hello.getCredentials().trim();
    if (!cred.isEmpty()) {
      boolean bearer = cred.regionMatches(true, 0, "Bearer ", 0, 7);
      String token = bearer ? cred.substring(7).trim() : cred;
      if (jwt != null && (bearer || JwtVerifier.looksLikeJwt(token))) {
        String tenant = jwt.verify(token);
        if (!allowUnknownTenants && !knownTenants.contains(tenant)) {
          // a token proves who issued it, not that this collector serves that tenant: unknown ones would get the
          // default limits and routes of nobody's choosing
          throw new AuthException(Status.PERMISSION_DENIED, "oidc", "the token's tenant \"" + tenant
              + "\" is not configured on this collector; add it under tenants (tenants." + tenant
              + ": {}), or set auth.allowUnknownTenants: true");
        }
        return new Principal(tenant, "oidc");
      }
      if (bearer) {
        throw new AuthException(Status.UNAUTHENTICATED, "oidc",
            "a bearer token was sent but this collector has no auth.oidc configured");
      }
      String tenant = tenantByKeyDigest.get(sha256Hex(token));
      if (tenant == null) {
        throw new AuthException(Status.UNAUTHENTICATED, "api-key", "the API key in Hello.credentials is not "
            + "recognised; check the key, or that its sha256 digest is in tenants.<tenant>.apiKeys");
      }
      return new Principal(tenant, "api-key");
    }
    X509Certificate cert = peerCertificate(tls);
    if (cert != null) {
      for (String subject : subjects(cert)) {
        String tenant = tenantBySubject.get(subject);
        if (tenant != null) {
          return new Principal(tenant, "mtls");
        }
      }
      throw new AuthException(Status.UNAUTHENTICATED, "mtls", "the client certificate (" + subjects(cert)
          + ") is not mapped to a tenant; add its CN or SAN to tenants.<tenant>.mtlsSubjects");
    }
    if (anonymous) {
      return new Principal(hello.getTenant(), "anonymous");
    }
    throw new AuthException(Status.UNAUTHENTICATED, "none", "this collector requires authentication: set "
        + "credentials (an API key or \"Bearer <JWT>\") in Hello, or connect with a client certificate over TLS");
  }

  private static X509Certificate peerCertificate(SSLSession tls) {
    if (tls == null) {
      return null;
    }
    try {
      Certificate[] chain = tls.getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate x ? x : null;
    } catch (SSLPeerUnverifiedException e) {
      return null; // no client certificate (optional mTLS)
    }
  }

  /** The certificate's CN, then its DNS, URI and email SANs. */
  static List<String> subjects(X509Certificate cert) {
    List<String> out = new ArrayList<>();
    try {
      for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          out.add(rdn.getValue().toString());
        }
      }
    } catch (InvalidNameException ignored) {
      // no CN
    }
    try {
      if (cert.getSubjectAlternativeNames() != null) {
        for (List<?> san : cert.getSubjectAlternativeNames()) {
          int type = (Integer) san.get(0);
          if (type == 1 || type == 2 || type == 6) { // rfc822Name, dNSName, uniformResourceIdentifier
            out.add(san.get(1).toString());
          }
        }
      }
    } catch (CertificateParsingException ignored) {
      // keep the CN
    }
    return out;
  }
}
