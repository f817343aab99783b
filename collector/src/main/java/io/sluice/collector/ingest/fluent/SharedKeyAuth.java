package io.sluice.collector.ingest.fluent;

import io.sluice.collector.config.FluentConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The forward protocol's shared-key handshake (the server side of Fluentd's {@code <security>}): the server sends
 * {@code ["HELO", {nonce, auth, keepalive}]}; the client answers {@code ["PING", client_hostname, shared_key_salt,
 * sha512_hex(shared_key_salt + client_hostname + nonce + shared_key), username, sha512_hex(auth_salt + username +
 * password)]}; the server answers {@code ["PONG", ok, reason, server_hostname, sha512_hex(shared_key_salt +
 * server_hostname + nonce + shared_key)]} and, when not ok, closes. The tenant is the one whose shared key gives the
 * client's digest; a tenant with users also needs one of them. Digests are compared in constant time.
 * Immutable, thread-safe.
 */
final class SharedKeyAuth {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** The outcome: the tenant and the PONG digest, or the reason given to the client. */
  record Result(String tenant, String reason, String serverDigest) {
    boolean ok() {
      return tenant != null;
    }
  }

  private final FluentConfig config;

  SharedKeyAuth(FluentConfig config) {
    this.config = config;
  }

  boolean required() {
    return !config.tenants().isEmpty();
  }

  static byte[] salt() {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    return b;
  }

  /**
   * Checks a PING already split into its six fields.
   *
   * @param ping {@code "PING"}, hostname, shared_key_salt, shared key digest, username, password digest (as bytes)
   */
  Result check(List<byte[]> ping, byte[] nonce, byte[] authSalt) {
    byte[] hostname = ping.get(1);
    byte[] keySalt = ping.get(2);
    byte[] digest = ping.get(3);
    String username = new String(ping.get(4), StandardCharsets.UTF_8);
    byte[] passwordDigest = ping.get(5);
    for (Map.Entry<String, FluentConfig.Tenant> t : config.tenants().entrySet()) {
      byte[] key = t.getValue().sharedKey().getBytes(StandardCharsets.UTF_8);
      if (!equal(digest, sha512Hex(keySalt, hostname, nonce, key))) {
        continue;
      }
      Map<String, String> users = t.getValue().users();
      if (!users.isEmpty()) {
        String password = users.get(username);
        if (password == null || !equal(passwordDigest, sha512Hex(authSalt,
            username.getBytes(StandardCharsets.UTF_8), password.getBytes(StandardCharsets.UTF_8)))) {
          return new Result(null, "username/password mismatch", null);
        }
      }
      byte[] self = config.selfHostname().getBytes(StandardCharsets.UTF_8);
      return new Result(t.getKey(), "", new String(sha512Hex(keySalt, self, nonce, key), StandardCharsets.US_ASCII));
    }
    return new Result(null, "shared_key mismatch", null);
  }

  private static boolean equal(byte[] given, byte[] expected) {
    return MessageDigest.isEqual(given, expected);
  }

  /** Lowercase hex SHA-512 of the parts, as ASCII bytes. */
  static byte[] sha512Hex(byte[]... parts) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-512");
      for (byte[] p : parts) {
        md.update(p);
      }
      return HexFormat.of().formatHex(md.digest()).getBytes(StandardCharsets.US_ASCII);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-512 is part of every Java runtime", e);
    }
  }
}
