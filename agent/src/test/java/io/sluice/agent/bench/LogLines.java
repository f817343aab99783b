package io.sluice.agent.bench;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * Synthetic nginx-style access-log lines, 170–260 bytes, numbered so a run can be checked: deterministic for a seed,
 * varied enough that compression ratios look like real access logs (~5x with zstd/lz4).
 */
final class LogLines {
  private static final String[] PATHS = {"/api/v1/items", "/api/v1/orders", "/api/v2/users", "/static/app.js",
      "/health", "/api/v1/search", "/img/logo.png", "/api/v1/cart/checkout"};
  private static final String[] METHODS = {"GET", "GET", "GET", "POST", "PUT", "DELETE"};
  private static final String[] AGENTS = {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0",
      "curl/8.5.0", "okhttp/4.12.0", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Safari/604.1"};
  private static final int[] STATUS = {200, 200, 200, 200, 201, 204, 301, 404, 500};
  private final SplittableRandom random;
  private long n;

  LogLines(long seed) {
    random = new SplittableRandom(seed);
  }

  /** The next line including its '\n'. */
  byte[] next() {
    long i = n++;
    String line = (10 + random.nextInt(200)) + "." + random.nextInt(256) + "." + random.nextInt(256) + "."
        + random.nextInt(256) + " - - [23/Nov/2026:23:" + String.format("%02d:%02d", (i / 60000) % 60, (i / 1000) % 60)
        + " +0000] \"" + METHODS[random.nextInt(METHODS.length)] + " " + PATHS[random.nextInt(PATHS.length)] + "/"
        + random.nextInt(100_000) + "?page=" + random.nextInt(20) + " HTTP/1.1\" "
        + STATUS[random.nextInt(STATUS.length)] + " " + random.nextInt(50_000) + " \"-\" \""
        + AGENTS[random.nextInt(AGENTS.length)] + "\" rt=0.0" + random.nextInt(100) + " seq=" + i + "\n";
    return line.getBytes(StandardCharsets.UTF_8);
  }
}
