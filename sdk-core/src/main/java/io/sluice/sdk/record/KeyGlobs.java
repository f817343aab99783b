package io.sluice.sdk.record;

import java.util.ArrayList;
import java.util.List;

/**
 * A comma-separated list of globs over attribute keys ({@code *} any run of characters, {@code ?} one character,
 * everything else literal and case-sensitive), e.g. {@code request.*,user_id}. Immutable and thread-safe; matching
 * allocates nothing, so it can run on the application's thread for every MDC or ThreadContext entry. Shared by the appenders.
 */
public final class KeyGlobs {
  private static final KeyGlobs NONE = new KeyGlobs(new String[0]);

  private final String[] globs;

  private KeyGlobs(String[] globs) {
    this.globs = globs;
  }

  /** Parses {@code a*,b?c,exact}; blanks and empty items are ignored; null or blank text gives the empty list. */
  public static KeyGlobs parse(String text) {
    if (text == null || text.isBlank()) return NONE;
    List<String> list = new ArrayList<>();
    for (String part : text.split(",")) {
      String glob = part.trim();
      if (!glob.isEmpty()) list.add(glob);
    }
    return list.isEmpty() ? NONE : new KeyGlobs(list.toArray(new String[0]));
  }

  public boolean isEmpty() {
    return globs.length == 0;
  }

  /** Whether {@code key} matches at least one glob; false for the empty list. */
  public boolean matchesAny(String key) {
    for (String glob : globs) {
      if (matches(glob, key)) return true;
    }
    return false;
  }

  @Override
  public String toString() {
    return String.join(",", globs);
  }

  /** Iterative glob match with single-star backtracking: O(glob x key) worst case, no allocation. */
  public static boolean matches(String glob, String key) {
    int g = 0;
    int k = 0;
    int starG = -1;
    int starK = 0;
    while (k < key.length()) {
      if (g < glob.length() && (glob.charAt(g) == '?' || glob.charAt(g) == key.charAt(k))) {
        g++;
        k++;
      } else if (g < glob.length() && glob.charAt(g) == '*') {
        starG = g++;
        starK = k;
      } else if (starG >= 0) {
        g = starG + 1;
        k = ++starK;
      } else {
        return false;
      }
    }
    while (g < glob.length() && glob.charAt(g) == '*') g++;
    return g == glob.length();
  }
}
