package io.sluice.agent.bench;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * Synthetic nginx-style access-log lines of 200–300 bytes (the '\n' included), numbered ({@code seq=N} at the end)
 * so a run can be checked line by line: deterministic for a seed, varied enough that compression ratios look like
 * real access logs (~5x with zstd/lz4). The referer field pads a line to a length drawn uniformly from 200–300.
 */
final class LogLines {
  private static final String[] PATHS = {"/api/v1/items", "/api/v1/orders", "/api/v2/users", "/static/app.js",
      "/health", "/api/v1/search", "/img/logo.png", "/api/v1/cart/checkout"};
  private static final String[] METHODS = {"GET", "GET", "GET", "POST", "PUT", "DELETE"};
  private static final String[] AGENTS = {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0",
      "curl/8.5.0", "okhttp/4.12.0", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Safari/604.1"};
  private static final String[] REFERERS = {
      "https://shop.example.com/catalog/outdoor/tents-and-shelters/family-tents?sort=price_asc&filter=brand:northwind"
          + "&filter=capacity:6&utm_source=newsletter&utm_medium=email&utm_campaign=winter-sale",
      "https://www.example.org/search?q=lightweight+hiking+boots+waterproof&category=footwear&page=2&session="
          + "a81f3c9e2b7d4c10&ref=searchbar&lang=en-GB&currency=EUR&view=grid&per_page=48",
      "https://m.example.net/account/orders/history?range=last_90_days&status=delivered&include=items,shipping"
          + "&device=mobile&app_version=5.12.3&locale=de-DE&tz=Europe%2FBerlin&consent=granted"};
  private static final int[] STATUS = {200, 200, 200, 200, 201, 204, 301, 404, 500};
  private final SplittableRandom random;
  private long n;

  LogLines(long seed) {
    this(seed, 0);
  }

  /** Lines numbered from {@code firstSeq} (e.g. a warm-up's lines, told apart from the measured ones). */
  LogLines(long seed, long firstSeq) {
    random = new SplittableRandom(seed);
    n = firstSeq;
  }

  /** The next line including its '\n'. */
  byte[] next() {
    long i = n++;
    int target = 199 + random.nextInt(101); // without the '\n'
    String head = (10 + random.nextInt(200)) + "." + random.nextInt(256) + "." + random.nextInt(256) + "."
        + random.nextInt(256) + " - - [23/Nov/2026:23:" + String.format("%02d:%02d", (i / 60000) % 60, (i / 1000) % 60)
        + " +0000] \"" + METHODS[random.nextInt(METHODS.length)] + " " + PATHS[random.nextInt(PATHS.length)] + "/"
        + random.nextInt(100_000) + "?page=" + random.nextInt(20) + " HTTP/1.1\" "
        + STATUS[random.nextInt(STATUS.length)] + " " + random.nextInt(50_000) + " \"";
    String tail = "\" \"" + AGENTS[random.nextInt(AGENTS.length)] + "\" rt=0.0" + random.nextInt(100) + " seq=" + i;
    String referer = REFERERS[random.nextInt(REFERERS.length)];
    int room = target - head.length() - tail.length();
    String ref = room <= 1 ? "-" : referer.substring(0, Math.min(room, referer.length()));
    return (head + ref + tail + "\n").getBytes(StandardCharsets.UTF_8);
  }
}
