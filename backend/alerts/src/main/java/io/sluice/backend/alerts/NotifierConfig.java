package io.sluice.backend.alerts;

import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Immutable settings of a {@link Notifier}, built by {@link #builder()}; every error names the setting and the fix.
 *
 * @param bootstrapServers Kafka host:port list
 * @param topic the alerts topic ({@link KafkaAlertSinkFactory#DEFAULT_TOPIC})
 * @param groupId consumer group whose committed offsets mark what was delivered (default {@code sluice-notifier})
 * @param webhookUrl the incoming webhook (http or https)
 * @param username the name the posts appear under (default {@code sluice})
 * @param zookeeper ZooKeeper connect string for the leader election
 * @param leaderPath the election's znode (default {@code /sluice/notifier/leader}); one per notifier deployment
 * @param instanceId this instance's name in the election (default: host name + random suffix)
 * @param initialBackoff first wait after a 5xx / 429 / connection failure (default 200 ms), doubled per attempt
 * @param maxBackoff the cap of that wait (default 30 s); delivery is retried for as long as this instance leads
 * @param requestTimeout per webhook request (default 10 s); a timeout counts as a failure and is retried
 * @param dedupRecords how many records per partition a new leader re-reads before its start offset to learn the ids
 *     already delivered, and (times the partition count) how many ids it remembers; default 10,000. A copy of an
 *     alert published further apart than this is delivered again.
 * @param consumerProperties extra Kafka consumer settings (e.g. security)
 */
public record NotifierConfig(
    String bootstrapServers,
    String topic,
    String groupId,
    URI webhookUrl,
    String username,
    String zookeeper,
    String leaderPath,
    String instanceId,
    Duration initialBackoff,
    Duration maxBackoff,
    Duration requestTimeout,
    int dedupRecords,
    Map<String, String> consumerProperties) {

  public static Builder builder() {
    return new Builder();
  }

  /** Validating builder; {@link #build()} throws {@link IllegalArgumentException} naming the setting. */
  public static final class Builder {
    private String bootstrapServers;
    private String topic = KafkaAlertSinkFactory.DEFAULT_TOPIC;
    private String groupId = "sluice-notifier";
    private String webhookUrl;
    private String username = "sluice";
    private String zookeeper;
    private String leaderPath = "/sluice/notifier/leader";
    private String instanceId;
    private Duration initialBackoff = Duration.ofMillis(200);
    private Duration maxBackoff = Duration.ofSeconds(30);
    private Duration requestTimeout = Duration.ofSeconds(10);
    private int dedupRecords = 10_000;
    private final Map<String, String> consumerProperties = new HashMap<>();

    private Builder() {}

    public Builder bootstrapServers(String v) { bootstrapServers = v; return this; }
    public Builder topic(String v) { topic = v; return this; }
    public Builder groupId(String v) { groupId = v; return this; }
    public Builder webhookUrl(String v) { webhookUrl = v; return this; }
    public Builder username(String v) { username = v; return this; }
    public Builder zookeeper(String v) { zookeeper = v; return this; }
    public Builder leaderPath(String v) { leaderPath = v; return this; }
    public Builder instanceId(String v) { instanceId = v; return this; }
    public Builder initialBackoff(Duration v) { initialBackoff = v; return this; }
    public Builder maxBackoff(Duration v) { maxBackoff = v; return this; }
    public Builder requestTimeout(Duration v) { requestTimeout = v; return this; }
    public Builder dedupRecords(int v) { dedupRecords = v; return this; }
    public Builder consumerProperty(String k, String v) { consumerProperties.put(k, v); return this; }

    public NotifierConfig build() {
      require(bootstrapServers, "bootstrapServers (--bootstrap-servers)", "give the Kafka cluster as host:port");
      require(topic, "topic (--topic)", "give the alerts topic, e.g. " + KafkaAlertSinkFactory.DEFAULT_TOPIC);
      require(groupId, "groupId (--group-id)", "give a consumer group, e.g. sluice-notifier");
      require(webhookUrl, "webhookUrl (--webhook-url)", "give the incoming webhook, e.g. https://chat/hooks/xyz");
      require(username, "username (--username)", "give the name the posts appear under");
      require(zookeeper, "zookeeper (--zookeeper)", "give the ZooKeeper connect string, e.g. zk1:2181,zk2:2181");
      if (leaderPath == null || !leaderPath.startsWith("/") || leaderPath.endsWith("/")) {
        throw new IllegalArgumentException("leaderPath (--leader-path) '" + leaderPath
            + "' must be an absolute znode path without a trailing slash, e.g. /sluice/notifier/leader");
      }
      URI url;
      try {
        url = URI.create(webhookUrl);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("webhookUrl (--webhook-url) '" + webhookUrl + "' is not a URL: "
            + e.getMessage());
      }
      if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme())) {
        throw new IllegalArgumentException("webhookUrl (--webhook-url) '" + webhookUrl
            + "' must be an http:// or https:// URL");
      }
      positive(initialBackoff, "initialBackoff (--initial-backoff-ms)");
      positive(maxBackoff, "maxBackoff (--max-backoff-ms)");
      positive(requestTimeout, "requestTimeout (--request-timeout-ms)");
      if (maxBackoff.compareTo(initialBackoff) < 0) {
        throw new IllegalArgumentException("maxBackoff (--max-backoff-ms) " + maxBackoff.toMillis()
            + " ms is below initialBackoff " + initialBackoff.toMillis() + " ms; raise it");
      }
      if (dedupRecords < 1) {
        throw new IllegalArgumentException("dedupRecords (--dedup-records) is " + dedupRecords + "; use 1 or more");
      }
      String id = instanceId != null ? instanceId : defaultInstanceId();
      return new NotifierConfig(bootstrapServers, topic, groupId, url, username, zookeeper, leaderPath, id,
          initialBackoff, maxBackoff, requestTimeout, dedupRecords, Map.copyOf(consumerProperties));
    }

    private static void require(String v, String key, String fix) {
      if (v == null || v.isBlank()) {
        throw new IllegalArgumentException(key + " is not set; " + fix);
      }
    }

    private static void positive(Duration d, String key) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(key + " must be > 0, was " + d);
      }
    }

    private static String defaultInstanceId() {
      String host;
      try {
        host = java.net.InetAddress.getLocalHost().getHostName();
      } catch (java.net.UnknownHostException e) {
        host = "unknown-host";
      }
      return host + "-" + Long.toHexString(Double.doubleToLongBits(Math.random())).substring(0, 6);
    }
  }
}
