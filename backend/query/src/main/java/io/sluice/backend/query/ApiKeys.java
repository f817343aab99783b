package io.sluice.backend.query;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Which tenant a request belongs to, the collector's way: an API key, compared by its SHA-256 digest against
 * {@code tenants.<name>.apiKeys}, sent as {@code Authorization: Bearer <key>}, {@code X-API-Key: <key>}, or the
 * {@code sluice_key} cookie (what the web UI's live tail sends: an EventSource cannot set headers). Without a key,
 * the anonymous tenant when {@code auth.anonymous} is on. Every query the service makes is restricted to the tenant
 * returned here. Immutable and thread-safe.
 */
final class ApiKeys {
  static final String COOKIE = "sluice_key";
  private final Map<String, String> tenantByDigest = new HashMap<>();
  private final boolean anonymous;
  private final String anonymousTenant;

  ApiKeys(Map<String, List<String>> digestsByTenant, boolean anonymous, String anonymousTenant) {
    digestsByTenant.forEach((tenant, digests) -> digests.forEach(d -> tenantByDigest.put(d, tenant)));
    this.anonymous = anonymous;
    this.anonymousTenant = anonymousTenant;
  }

  static String sha256Hex(String key) {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * @param authorization the Authorization header or null
   * @param apiKeyHeader the X-API-Key header or null
   * @param cookieHeader the Cookie header or null
   * @throws HttpError 401 when a key is wrong, or absent while anonymous access is off
   */
  String tenant(String authorization, String apiKeyHeader, String cookieHeader) throws HttpError {
    String key = null;
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      key = authorization.substring(7).trim();
    } else if (apiKeyHeader != null && !apiKeyHeader.isBlank()) {
      key = apiKeyHeader.trim();
    } else if (cookieHeader != null) {
      for (String c : cookieHeader.split(";")) {
        String kv = c.trim();
        if (kv.startsWith(COOKIE + "=")) {
          key = java.net.URLDecoder.decode(kv.substring(COOKIE.length() + 1), StandardCharsets.UTF_8);
        }
      }
    }
    if (key == null || key.isEmpty()) {
      if (anonymous) {
        return anonymousTenant;
      }
      throw new HttpError(401, null, "this service requires an API key: send Authorization: Bearer <key> "
          + "(or X-API-Key)");
    }
    String tenant = tenantByDigest.get(sha256Hex(key));
    if (tenant == null) {
      throw new HttpError(401, null, "the API key is not recognised; check the key, or that its sha256 digest is in "
          + "tenants.<tenant>.apiKeys");
    }
    return tenant;
  }
}
