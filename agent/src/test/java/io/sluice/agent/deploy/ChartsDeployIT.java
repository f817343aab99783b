package io.sluice.agent.deploy;

import static io.sluice.collector.deploy.Charts.only;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.agent.AgentMain;
import io.sluice.collector.CollectorMain;
import io.sluice.collector.deploy.Charts;
import io.sluice.collector.embedded.EmbeddedKafka;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogRecord;
import io.sluice.wire.kafka.KafkaLine;
import io.sluice.wire.kafka.KafkaRecordReader;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The charts as installed, started for real: the collector chart with its defaults (plus the Kafka bootstrap the
 * README's install line sets) and the agent chart with its defaults, in one namespace. Each container runs as its
 * image's entrypoint would ({@code java ... <Main> <args>}), from the rendered ConfigMaps, env and mounted Secret
 * files laid out by {@link RenderedPod}; the only substitutions are what the cluster would provide: the collector's
 * listen addresses become 127.0.0.1 with free ports, and the agent's endpoint, once checked to be the collector's
 * Service DNS name and port, becomes the collector's address. The agent runs as the pod's user (uid 0, every
 * capability dropped) over a read-only root with /tmp, the spool and /var/log/pods mounted as the pod mounts them.
 * Two pods' CRI logs reach a real Kafka broker, authenticated with the generated API key, each line named by its
 * pod's workload.
 */
class ChartsDeployIT {
  static EmbeddedKafka kafka;
  @TempDir
  Path tmp;
  final List<Process> processes = new ArrayList<>();

  @BeforeAll
  static void startKafka() throws Exception {
    kafka = EmbeddedKafka.builder().baseDir(Files.createTempDirectory("charts-it-kafka")).start();
  }

  @AfterAll
  static void stopKafka() {
    if (kafka != null) kafka.close();
  }

  /** A process whose output is kept (and scanned for {@code pattern}'s first group). */
  static final class Started {
    final Process process;
    final StringBuffer output = new StringBuffer();
    volatile String found;

    Started(List<String> command, Map<String, String> env, Pattern pattern) throws IOException {
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
      pb.environment().putAll(env);
      process = pb.start();
      Thread reader = new Thread(() -> {
        try (BufferedReader r =
            new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
          for (String line; (line = r.readLine()) != null;) {
            output.append(line).append('\n');
            Matcher m = pattern == null ? null : pattern.matcher(line);
            if (m != null && m.find() && found == null) found = m.group(1);
          }
        } catch (IOException ignored) {
          // the process ended
        }
      }, "charts-it-output");
      reader.setDaemon(true);
      reader.start();
    }
  }

  static List<String> java(Path root, String mainClass, List<String> args, String... jvm) {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Djava.io.tmpdir=" + root.resolve("tmp"), "-XX:TieredStopAtLevel=1"));
    cmd.addAll(List.of(jvm));
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
    cmd.addAll(args);
    return cmd;
  }

  static void edit(Path file, String from, String to) throws IOException {
    String s = Files.readString(file);
    assertThat(s).as("%s holds %s", file, from).contains(from);
    Files.writeString(file, s.replace(from, to));
  }

  static String cri(String line) {
    return "2026-12-05T03:00:00.000000000Z stdout F " + line + "\n";
  }

  @Test
  void defaultChartsStartAndShipEachPodsLinesToKafkaAuthenticatedAndNamedByWorkload() throws Exception {
    List<JsonNode> collector = Charts.render(AgentChartTest.COLLECTOR_CHART, "sluice", "sluice",
        Map.of("kafka.bootstrap", kafka.bootstrapServers()));
    List<JsonNode> objects =
        Stream.concat(Charts.render(AgentChartTest.AGENT_CHART, "agent", "sluice", Map.of()).stream(),
            collector.stream()).toList();
    String collectorYaml = only(collector, "ConfigMap").at("/data/collector.yaml").asText();
    // createTopic is off in the chart: the topics are made first, as the deployment guide says
    kafka.createTopic(collectorYaml.contains("sluice-logs") ? "sluice-logs" : "missing", 3, 1);
    kafka.createTopic("sluice-dead-letter", 1, 1);

    // --- the collector pod
    RenderedPod cp = new RenderedPod(objects, "Deployment", "sluice-sluice-collector", "collector");
    Path croot = Files.createDirectories(tmp.resolve("collector"));
    Map<String, String> cenv = cp.layOut(croot, Map.of());
    Path cfg = RenderedPod.under(croot, "/etc/sluice/collector.yaml");
    edit(cfg, "listen: 0.0.0.0:4417", "listen: 127.0.0.1:0");
    edit(cfg, "listen: 0.0.0.0:4418", "listen: 127.0.0.1:0");
    cp.sealRoot(croot);
    Started c = new Started(java(croot, CollectorMain.class.getName(), cp.args(croot), "-Xmx256m"), cenv,
        Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)"));
    processes.add(c.process);
    await().atMost(Duration.ofSeconds(60)).until(() -> c.found != null || !c.process.isAlive());
    assertThat(c.found).as("the collector started from the rendered chart; exit %s, output:%n%s",
        c.process.isAlive() ? "-" : c.process.exitValue(), c.output).isNotNull();

    // --- the agent DaemonSet's pod on node-1, with two pods' logs on the node
    RenderedPod ap = new RenderedPod(objects, "DaemonSet", "agent-sluice-agent", "agent");
    Path aroot = Files.createDirectories(tmp.resolve("agent"));
    Map<String, String> aenv = ap.layOut(aroot, Map.of("spec.nodeName", "node-1"));
    Path acfg = RenderedPod.under(aroot, "/etc/sluice/agent.yaml");
    JsonNode service = only(collector, "Service");
    edit(acfg, service.at("/metadata/name").asText() + ".sluice:" + service.at("/spec/ports/0/port").asInt(),
        "127.0.0.1:" + c.found); // cluster DNS: the Service name resolves to the collector
    edit(acfg, "http: {port: 9464}", "http: {port: 0}");
    // paths in the container are paths under aroot here: one pass over every mount path (longest first)
    String mounts = String.join("|", ap.mounts().keySet().stream()
        .sorted(Comparator.comparing(String::length).reversed()).map(Pattern::quote).toList());
    Matcher m = Pattern.compile("(?<=[\\s\"\\[])(" + mounts + ")(?=[/\"\\],\\s])").matcher(Files.readString(acfg));
    StringBuilder yaml = new StringBuilder();
    while (m.find())
      m.appendReplacement(yaml, Matcher.quoteReplacement(RenderedPod.under(aroot, m.group(1)).toString()));
    m.appendTail(yaml);
    Files.writeString(acfg, yaml);
    Path pods = RenderedPod.under(aroot, "/var/log/pods");
    Path checkout = pods.resolve("shop_checkout-7d9f8b6c5d-x2k4p_5f0e7a4c-2b1d-4c8e-9a6f-0d3b2c1a9e8f/app/0.log");
    Path payments = pods.resolve("shop_payments-0_6a1f8b5d-3c2e-4d9f-8b7a-1e4c3d2b0f9a/app/0.log");
    for (Path log : List.of(checkout, payments)) { // as the kubelet writes them: root:root, 0640
      Files.createDirectories(log.getParent());
      Files.writeString(log, "");
      Files.setPosixFilePermissions(log, PosixFilePermissions.fromString("rw-r-----"));
    }
    ap.sealRoot(aroot);
    List<String> command = new ArrayList<>(ap.runAs());
    // the image's JVM flags (agent/pom.xml jib entrypoint): the 64 MiB heap the resource requests are sized for
    command.addAll(java(aroot, AgentMain.class.getName(), ap.args(aroot), "-Xmx64m", "-XX:+UseSerialGC"));
    Started a = new Started(command, aenv, null);
    processes.add(a.process);

    int n = 200;
    for (int i = 0; i < n; i++) {
      Files.writeString(checkout, cri("checkout line " + i), java.nio.file.StandardOpenOption.APPEND);
      Files.writeString(payments, cri("payments line " + i), java.nio.file.StandardOpenOption.APPEND);
    }
    Map<String, Map.Entry<KafkaLine, byte[]>> seen = new ConcurrentHashMap<>(); // body -> (line, Kafka key)
    KafkaRecordReader reader = new KafkaRecordReader();
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> parts = consumer.partitionsFor("sluice-logs", Duration.ofSeconds(30)).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      try {
        await().atMost(Duration.ofSeconds(60)).until(() -> {
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
            for (KafkaLine line : reader.read(name -> {
              var h = r.headers().lastHeader(name);
              return h == null ? null : h.value();
            }, r.value())) {
              seen.put(line.record().getBody().getStringValue(), Map.entry(line, r.key()));
            }
          }
          assertThat(a.process.isAlive()).as("the agent runs; output:%n%s", a.output).isTrue();
          return seen.size() >= 2 * n;
        });
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        throw new AssertionError(seen.size() + " of " + 2 * n + " lines reached Kafka; agent.yaml:\n" + yamlRead(acfg)
            + "\nagent output:\n" + a.output
            + "\ncollector output:\n" + c.output, e);
      }
    }
    for (int i = 0; i < n; i++) {
      for (String svc : List.of("checkout", "payments")) {
        Map.Entry<KafkaLine, byte[]> r = seen.get(svc + " line " + i);
        assertThat(r).as(svc + " line " + i).isNotNull();
        LogRecord rec = r.getKey().record();
        assertThat(attribute(rec, "resource.service.name")).isEqualTo(svc);
        assertThat(attribute(rec, "resource.host.name")).isEqualTo("node-1");
        assertThat(new String(r.getValue(), StandardCharsets.UTF_8)).isEqualTo(svc + "/node-1");
        assertThat(r.getKey().tenant())
            .as("authenticated with the generated key of tenant default").isEqualTo("default");
      }
    }
    assertThat(seen).hasSize(2 * n);
    // the natives went to the mounted /tmp (the root file system is read-only)
    try (var files = Files.list(RenderedPod.under(aroot, "/tmp"))) {
      assertThat(files.map(p -> p.getFileName().toString()).toList()).anyMatch(f -> f.contains("rocksdb"));
    }
    for (Process p : processes) p.destroy();
    for (Process p : processes) assertThat(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
  }

  @org.junit.jupiter.api.AfterEach
  void stopProcesses() {
    for (Process p : processes) p.destroyForcibly();
  }

  static String yamlRead(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      return e.toString();
    }
  }

  static String attribute(LogRecord r, String key) {
    for (KeyValue kv : r.getAttributesList()) if (kv.getKey().equals(key)) return kv.getValue().getStringValue();
    return null;
  }
}
