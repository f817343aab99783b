package io.sluice.agent;

import static io.sluice.agent.Harness.expected;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import io.sluice.collector.Collector;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.embedded.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real path: files → agent → {@link Collector} (gRPC) → Kafka (one in-JVM KRaft broker for the class) → a plain
 * consumer. Each test asserts that the set of lines in the topic is exactly the set written, and that every line
 * that arrived more than once arrived under one identity (a resent batch, which the backend removes), never as a
 * second reading of the file.
 */
class AgentKafkaIT {
  static EmbeddedKafka kafka;
  @TempDir
  Path tmp;
  Collector collector;
  String topic;
  Path logs;
  Path app;

  @BeforeAll
  static void startKafka() throws Exception {
    kafka = EmbeddedKafka.builder().baseDir(Files.createTempDirectory("agent-it-kafka")).start();
  }

  @AfterAll
  static void stopKafka() {
    if (kafka != null) kafka.close();
  }

  @BeforeEach
  void startCollector() throws Exception {
    topic = "agent-it-" + UUID.randomUUID().toString().substring(0, 8);
    collector = Collector.start(CollectorConfig.builder().anonymous(true).listen("127.0.0.1:0")
        .kafkaBootstrap(kafka.bootstrapServers()).topic(topic).topicPartitions(3).topicReplicationFactor(1).build());
    logs = Files.createDirectories(tmp.resolve("logs"));
    app = logs.resolve("app.log");
  }

  @AfterEach
  void stopCollector() {
    if (collector != null) collector.close();
  }

  private String endpoint() {
    return "127.0.0.1:" + collector.port();
  }

  private AgentConfig config() {
    // Only app.log: rotated files (app.log.1, ...) are followed by identity, never matched by the glob.
    return Harness.config(endpoint(), tmp.resolve("spool"), InputConfig.plain("app", app.toString())).build();
  }

  static void logrotate(Path tmp, Path file, String mode) throws Exception {
    assumeThat(Path.of("/usr/sbin/logrotate")).as("Debian package logrotate").exists();
    Path conf = tmp.resolve("logrotate.conf");
    Files.writeString(conf, file + " {\n  rotate 100\n  " + mode + "\n  missingok\n  nocompress\n}\n");
    Process p = new ProcessBuilder("/usr/sbin/logrotate", "-f", "-s", tmp.resolve("state").toString(), conf.toString())
        .redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("logrotate said: %s", output).isZero();
  }

  private void report(String test, KafkaLines topicLines, long written) {
    System.out.printf("%s: %d lines written, %d distinct at Kafka, %d records, %d duplicates (same identity)%n",
        test, written, topicLines.distinct().size(), topicLines.total(), topicLines.duplicates());
  }

  @Test
  void logrotateCreateUnderLoadReachesKafkaExactlyOnce() throws Exception {
    assumeThat(Path.of("/usr/sbin/logrotate")).as("Debian package logrotate").exists();
    long total;
    try (Agent agent = Agent.start(config()); LineWriter writer = new LineWriter(app, "c-", 4000)) {
      LineWriter.touch(app);
      writer.start();
      for (int i = 0; i < 4; i++) {
        long more = writer.written() + 1500;
        await().atMost(Duration.ofSeconds(10)).until(() -> writer.written() >= more);
        logrotate(tmp, app, "create");
        writer.reopen(); // like a postrotate signal: until then the writer appends to app.log.1
      }
      writer.close();
      total = writer.written();
      try (KafkaLines lines = new KafkaLines(kafka.bootstrapServers(), topic)) {
        lines.readUntil(l -> l.distinct().size() >= total, Duration.ofSeconds(30));
        report("create", lines, total);
        assertThat(lines.distinct()).containsExactlyInAnyOrderElementsOf(expected("c-", 0, (int) total));
        assertThat(lines.duplicatesWithNewIdentity()).isEmpty();
        assertThat(lines.duplicates()).as("no crash, no resend").isZero();
      }
    }
  }

  @Test
  void logrotateCopytruncateUnderLoadReachesKafkaWithExactlyWhatTheFilesHeld() throws Exception {
    assumeThat(Path.of("/usr/sbin/logrotate")).as("Debian package logrotate").exists();
    AgentStats stats;
    long written;
    try (Agent agent = Agent.start(config()); LineWriter writer = new LineWriter(app, "t-", 4000)) {
      stats = agent.stats();
      LineWriter.touch(app);
      writer.start();
      for (int i = 0; i < 4; i++) {
        long more = writer.written() + 1500;
        await().atMost(Duration.ofSeconds(10)).until(() -> writer.written() >= more);
        long before = agent.stats().truncations.sum();
        logrotate(tmp, app, "copytruncate");
        await().atMost(Duration.ofSeconds(5)).until(() -> agent.stats().truncations.sum() > before);
      }
      writer.close();
      written = writer.written();
      // copytruncate itself loses what is written between its copy and its truncation: the truth is what the files
      // (app.log and its copies) hold now, each line once.
      Set<String> onDisk = new HashSet<>();
      long linesOnDisk = 0;
      try (var files = Files.list(logs)) {
        for (Path p : (Iterable<Path>) files::iterator) {
          var l = Files.readAllLines(p);
          onDisk.addAll(l);
          linesOnDisk += l.size();
        }
      }
      assertThat(onDisk).as("each line on disk once").hasSize((int) linesOnDisk);
      try (KafkaLines lines = new KafkaLines(kafka.bootstrapServers(), topic)) {
        lines.readUntil(l -> l.distinct().containsAll(onDisk), Duration.ofSeconds(30));
        report("copytruncate", lines, written);
        Set<String> savedFromRace = new HashSet<>(lines.distinct());
        savedFromRace.removeAll(onDisk);
        System.out.printf("copytruncate: %d lines on disk, %d lost by logrotate's copy/truncate race, %d of those"
            + " read by the agent before the truncation; %d bytes read from copies%n", onDisk.size(),
            written - onDisk.size(), savedFromRace.size(), stats.recoveredFromCopyBytes.sum());
        // Exactly the lines on disk, plus only lines that were really written (the agent read them from app.log in
        // the moment between logrotate's copy and its truncation, so no copy holds them): none lost, none invented.
        assertThat(lines.distinct()).containsAll(onDisk);
        assertThat(savedFromRace).isSubsetOf(expected("t-", 0, (int) written));
        assertThat(lines.duplicatesWithNewIdentity()).isEmpty();
        assertThat(lines.duplicates()).as("no crash, no resend").isZero();
      }
    }
  }

  @Test
  void agentJvmKilledWithSigkillAndRestartedReachesKafkaExactlyOnce() throws Exception {
    Path config = tmp.resolve("agent.yaml");
    Path out = tmp.resolve("agent-out.txt");
    long seed = Long.getLong("seed", System.nanoTime());
    Random random = new Random(seed);
    // Rotated files keep matching the glob (app.log.N): a file rotated while the agent was down is found too.
    Files.writeString(config, AgentCrashTest.yaml(endpoint(), tmp.resolve("spool"), logs + "/app.log*"));
    int rotations = 0;
    int kills = 4;
    try (KafkaLines lines = new KafkaLines(kafka.bootstrapServers(), topic)) {
      try (LineWriter writer = new LineWriter(app, "k-", 2000).start()) {
        for (int kill = 0; kill < kills; kill++) {
          Process agent = AgentCrashTest.startAgent(config, out);
          try {
            long target = lines.distinct().size() + 500 + random.nextInt(1500);
            lines.readUntil(l -> l.distinct().size() >= target, Duration.ofSeconds(30));
            assertThat(lines.distinct().size()).as("agent %d shipped; its output: %s", kill, out)
                .isGreaterThanOrEqualTo(
                    (int) target);
            if (random.nextBoolean()) {
              Files.move(app, logs.resolve("app.log." + (++rotations)));
              writer.reopen();
            }
            long more = writer.written() + random.nextInt(800);
            await().atMost(Duration.ofSeconds(10)).until(() -> writer.written() >= more);
          } finally {
            agent.destroyForcibly(); // SIGKILL
            agent.waitFor(10, TimeUnit.SECONDS);
          }
        }
      }
      long total = AgentCrashTest.countLines(logs);
      Process agent = AgentCrashTest.startAgent(config, out);
      try {
        lines.readUntil(l -> l.distinct().size() >= total, Duration.ofSeconds(60));
      } finally {
        agent.destroy(); // SIGTERM: drain
        agent.waitFor(20, TimeUnit.SECONDS);
        if (agent.isAlive()) agent.destroyForcibly();
      }
      lines.readUntil(l -> false, Duration.ZERO);
      report("sigkill (seed " + seed + ", " + rotations + " rotations, " + kills + " kills)", lines, total);
      assertThat(lines.distinct()).containsExactlyInAnyOrderElementsOf(expected("k-", 0, (int) total));
      // Every duplicate is a batch resent after a kill (same source/epoch/sequence/index), never a re-read line.
      assertThat(lines.duplicatesWithNewIdentity()).isEmpty();
    }
  }

  /**
   * {@code collector.credentialsFile} as a secret manager maintains it: missing at start (counted, /readyz says why,
   * lines stay spooled), written, then replaced by a new key that the collector then makes the only valid one
   * (its config reloaded; connections aged out every second, so the agent authenticates again). Every line in Kafka.
   */
  @Test
  void aCredentialsFileThatAppearsAndRotatesKeepsShippingWithNothingLost() throws Exception {
    collector.close();
    String oldKey = "agent-key-1-" + UUID.randomUUID();
    String newKey = "agent-key-2-" + UUID.randomUUID();
    Path collectorYaml = tmp.resolve("collector.yaml");
    Files.writeString(collectorYaml, apiKeys(oldKey));
    collector = Collector.start(CollectorConfig.builder().listen("127.0.0.1:0").kafkaBootstrap(kafka.bootstrapServers())
        .topic(topic).topicPartitions(3).topicReplicationFactor(1)
        .tenant(new io.sluice.collector.config.TenantConfig("acme",
            java.util.List.of(io.sluice.collector.auth.Authenticator.sha256Hex(oldKey)), java.util.List.of(),
            java.util.List.of(), null))
        .configFile(collectorYaml).reloadInterval(Duration.ofMillis(50)).maxConnectionAge(Duration.ofSeconds(1))
        .maxConnectionAgeGrace(Duration.ofSeconds(1))
        .build());
    Path secret = Files.createDirectories(tmp.resolve("vault-secrets")).resolve("sluice");
    AgentConfig.Builder b = Harness.config(endpoint(), tmp.resolve("spool"), InputConfig.plain("app", app.toString()))
        .http("127.0.0.1", 0);
    b.pipeline().set("credentialsFile", secret.toString());
    long total;
    try (Agent agent = Agent.start(b.build()); LineWriter writer = new LineWriter(app, "k-", 500)) {
      LineWriter.touch(app);
      writer.start();
      java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + agent.httpPort();
      await().atMost(Duration.ofSeconds(30)).until(() -> agent.delivery().credentialErrors.sum() >= 1);
      java.net.http.HttpResponse<String> ready = http.send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create(base + "/readyz")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.body()).contains(secret.toString()).contains("cannot be read");
      assertThat(http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/metrics")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString()).body()).contains("sluice_agent_credentials_usable 0");

      atomicWrite(secret, oldKey + "\n");
      await().atMost(Duration.ofSeconds(30)).until(() -> agent.delivery().acknowledged.sum() > 0);
      assertThat(http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/readyz")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);

      Files.writeString(collectorYaml, apiKeys(oldKey, newKey));
      await().atMost(Duration.ofSeconds(30)).until(() -> collector.policy().config().tenants().get("acme")
          .apiKeySha256().size() == 2);
      atomicWrite(secret, newKey + "\n");
      await().atMost(Duration.ofSeconds(30)).until(() -> agent.delivery().credentialRotations.sum() >= 1);
      Files.writeString(collectorYaml, apiKeys(newKey));
      await().atMost(Duration.ofSeconds(30)).until(() -> collector.policy().config().tenants().get("acme")
          .apiKeySha256().size() == 1);
      long reconnects = agent.delivery().reconnects.sum();
      await().atMost(Duration.ofSeconds(30)).until(() -> agent.delivery().reconnects.sum() >= reconnects + 2);
      writer.close();
      total = writer.written();
      try (KafkaLines lines = new KafkaLines(kafka.bootstrapServers(), topic)) {
        lines.readUntil(l -> l.distinct().size() >= total, Duration.ofSeconds(30));
        assertThat(lines.distinct()).containsExactlyInAnyOrderElementsOf(expected("k-", 0, (int) total));
      }
      assertThat(agent.delivery().refused.sum()).isZero();
    }
  }

  private static String apiKeys(String... keys) {
    StringBuilder sb = new StringBuilder("tenants:\n  acme:\n    apiKeys:\n");
    for (String k : keys) {
      sb.append("      - \"sha256:").append(io.sluice.collector.auth.Authenticator.sha256Hex(k)).append("\"\n");
    }
    return sb.toString();
  }

  private static void atomicWrite(Path file, String text) throws Exception {
    Path tmpFile = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmpFile, text);
    Files.move(tmpFile, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }
}
