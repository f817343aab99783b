package io.sluice.backend.streaming;

/**
 * Composite grouping keys as plain strings (deterministically encoded, which Beam requires of keys): parts joined by
 * the ASCII unit separator, which tenant, service and fingerprint strings do not contain.
 */
final class Keys {
  private static final char SEP = '\u001f';

  private Keys() {}

  static String join(String... parts) {
    return String.join(String.valueOf(SEP), parts);
  }

  static String[] split(String key) {
    return key.split(String.valueOf(SEP), -1);
  }
}
