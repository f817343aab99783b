package io.sluice.backend.common;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * An error fingerprint groups occurrences of the same error: exception type + top frame + message template. When
 * the framework sent no template (the message had no arguments), the message with its variable parts masked
 * (numbers, hex ids, UUIDs, quoted strings) stands in, so {@code "order 1234 failed"} and {@code "order 99 failed"}
 * share one fingerprint. The fingerprint is the first 16 hex digits of SHA-256 over those three parts. Stateless.
 */
public final class Fingerprints {
  private static final Pattern UUID =
      Pattern.compile("\\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\\b");
  /** 8+ hex digits with at least one decimal digit: request ids, hashes, addresses. */
  private static final Pattern HEX = Pattern.compile("\\b(?:0x)?(?=[0-9a-fA-F]*\\d)[0-9a-fA-F]{8,}\\b");
  private static final Pattern NUMBER = Pattern.compile("-?\\b\\d+(?:\\.\\d+)?\\b");
  private static final Pattern QUOTED = Pattern.compile("'[^']*'|\"[^\"]*\"");

  private Fingerprints() {}

  /** The message with variable parts replaced by placeholders: UUIDs, hex ids, numbers and quoted strings. */
  public static String mask(String message) {
    String m = UUID.matcher(message).replaceAll("<uuid>");
    m = QUOTED.matcher(m).replaceAll("<str>");
    m = HEX.matcher(m).replaceAll("<hex>");
    return NUMBER.matcher(m).replaceAll("<n>");
  }

  /**
   * The fingerprint of an error, or {@code ""} when the record is not an error (below ERROR and no exception).
   *
   * @param template the message template, or {@code ""} to use the masked message
   */
  public static String of(
      Severity severity, String exceptionType, String topFrame, String template, String message) {
    if (!severity.isError() && exceptionType.isEmpty()) {
      return "";
    }
    String shape = template.isEmpty() ? mask(message) : template;
    String joined = exceptionType + '\u0000' + topFrame + '\u0000' + shape;
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(joined.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
