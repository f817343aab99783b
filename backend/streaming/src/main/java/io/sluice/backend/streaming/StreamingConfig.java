package io.sluice.backend.streaming;

import java.io.Serializable;
import java.time.Duration;
import java.util.List;

/**
 * The streaming job's settings, immutable and validated by its {@link Builder}. The CLI and tests both end here.
 *
 * @param bootstrapServers Kafka {@code host:port[,host:port]}
 * @param topics the collector's topics to read
 * @param groupId Kafka consumer group (offsets are committed when Beam finalizes a checkpoint, for monitoring)
 * @param dedupTtl how long a record identity is remembered (processing time); a resend later than this counts twice
 * @param allowedLateness how long after an error-rate window's end its records still re-evaluate the alert (later
 *     ones are left out of alerts only, counted by Beam as dropped-due-to-lateness; aggregates do not use windows)
 * @param watermarkDelay how far behind the newest Kafka timestamp the watermark stays (records that much out of order
 *     are still on time)
 * @param maxBatch items per sink write, and the bound of each writer's buffer
 * @param ruleReload how often workers re-read the alert rules
 * @param totalsFlush how long a changed per-minute total waits before it is written (one write per key per flush)
 * @param totalsTtl how long a per-minute total is remembered after its last write (processing time); a record for
 *     that minute arriving later restarts the total from zero, which replaces the stored row: the lateness bound of
 *     exact aggregates. Memory: one small state cell per tenant/service/severity/minute and fingerprint/minute
 *     written within the TTL
 * @param boundedInput the input ends (a {@code --bounded} run, a test's {@code Create}): per-minute totals and error
 *     rates are emitted once, when the input ends, so they never depend on the watermark or on processing time
 */
public record StreamingConfig(
    String bootstrapServers,
    List<String> topics,
    String groupId,
    Duration dedupTtl,
    Duration allowedLateness,
    Duration watermarkDelay,
    int maxBatch,
    Duration ruleReload,
    Duration totalsFlush,
    Duration totalsTtl,
    boolean boundedInput)
  implements Serializable {

  public static Builder builder() {
    return new Builder();
  }

  /** Checks the Kafka settings (only a job that reads Kafka needs them). */
  public void requireKafka() {
    Builder.require(bootstrapServers != null && !bootstrapServers.isBlank(),
        "--bootstrap-servers is empty: give the collector's Kafka as host:port[,host:port]");
    Builder.require(!topics.isEmpty() && topics.stream().noneMatch(String::isBlank),
        "--topics is empty: give at least one topic the collector writes (e.g. sluice.logs)");
    Builder.require(groupId != null && !groupId.isBlank(), "--group-id is empty: give a Kafka consumer group id");
  }

  public static final class Builder {
    private String bootstrapServers = "";
    private List<String> topics = List.of();
    private String groupId = "sluice-streaming";
    private Duration dedupTtl = Duration.ofHours(1);
    private Duration allowedLateness = Duration.ofMinutes(10);
    private Duration watermarkDelay = Duration.ofSeconds(5);
    private int maxBatch = 500;
    private Duration ruleReload = Duration.ofMinutes(1);
    private Duration totalsFlush = Duration.ofSeconds(1);
    private Duration totalsTtl = Duration.ofHours(24);
    private boolean boundedInput;

    private Builder() {}

    public Builder bootstrapServers(String v) {
      this.bootstrapServers = v;
      return this;
    }

    public Builder topics(List<String> v) {
      this.topics = List.copyOf(v);
      return this;
    }

    public Builder groupId(String v) {
      this.groupId = v;
      return this;
    }

    public Builder dedupTtl(Duration v) {
      this.dedupTtl = v;
      return this;
    }

    public Builder allowedLateness(Duration v) {
      this.allowedLateness = v;
      return this;
    }

    public Builder watermarkDelay(Duration v) {
      this.watermarkDelay = v;
      return this;
    }

    public Builder maxBatch(int v) {
      this.maxBatch = v;
      return this;
    }

    public Builder ruleReload(Duration v) {
      this.ruleReload = v;
      return this;
    }

    public Builder totalsFlush(Duration v) {
      this.totalsFlush = v;
      return this;
    }

    public Builder boundedInput(boolean v) {
      this.boundedInput = v;
      return this;
    }

    public Builder totalsTtl(Duration v) {
      this.totalsTtl = v;
      return this;
    }

    /** @throws IllegalArgumentException naming the setting (as its CLI option) and what to do */
    public StreamingConfig build() {
      requirePositive(dedupTtl, "--dedup-ttl", "e.g. PT1H, longer than a shipper holds an unacknowledged batch");
      requireNotNegative(allowedLateness, "--allowed-lateness", "e.g. PT10M");
      requireNotNegative(watermarkDelay, "--watermark-delay", "e.g. PT5S");
      require(maxBatch >= 1 && maxBatch <= 100_000, "--max-batch " + maxBatch + " is out of range [1, 100000]");
      requirePositive(ruleReload, "--rule-reload", "e.g. PT1M");
      requirePositive(totalsFlush, "--totals-flush", "e.g. PT1S");
      requirePositive(totalsTtl, "--totals-ttl", "e.g. PT24H, longer than the latest a backlog may arrive");
      require(totalsTtl.compareTo(totalsFlush) > 0, "--totals-ttl " + totalsTtl + " must be longer than --totals-flush "
          + totalsFlush);
      require(totalsTtl.compareTo(dedupTtl) >= 0,
          "--totals-ttl " + totalsTtl + " is shorter than --dedup-ttl " + dedupTtl
              + ": a total must outlive the identities it de-duplicates (raise --totals-ttl)");
      return new StreamingConfig(
          bootstrapServers, topics, groupId, dedupTtl, allowedLateness, watermarkDelay, maxBatch, ruleReload,
          totalsFlush, totalsTtl, boundedInput);
    }

    private static void requirePositive(Duration d, String key, String example) {
      require(d != null && !d.isNegative() && !d.isZero(),
          key + " must be a positive ISO-8601 duration (" + example + ")");
    }

    private static void requireNotNegative(Duration d, String key, String example) {
      require(d != null && !d.isNegative(), key + " must be zero or a positive ISO-8601 duration (" + example + ")");
    }

    private static void require(boolean ok, String message) {
      if (!ok) {
        throw new IllegalArgumentException(message);
      }
    }
  }
}
