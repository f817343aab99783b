package io.sluice.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.sluice.agent.parse.ContainerFormat;
import io.sluice.agent.parse.ParserKind;
import io.sluice.agent.parse.PodServiceName;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.testkit.TestCollector;
import io.sluice.wire.ZstdCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node agent reading every pod's log names each pod's lines by its service ({@code serviceNameFrom}): every batch
 * holds one service's lines and carries it as its resource {@code service.name}, which the collector uses for the
 * Kafka key, routing and the backend's per-service figures. Before, every line of the node was {@code node-agent}.
 */
class AgentServiceNameTest {
  @TempDir
  Path tmp;
  TestCollector collector;
  /** body -> service.name of the batch resource it arrived in. */
  final Map<String, String> serviceOf = new ConcurrentHashMap<>();
  final Set<String> mixedBatches = ConcurrentHashMap.newKeySet();

  @BeforeEach
  void start() {
    collector = new TestCollector();
    collector.respond(b -> {
      try {
        LogBatch batch =
            LogBatch.parseFrom(ZstdCodec.forThisThread(3).decompress(b.getPayload().toByteArray(), 64 << 20));
        String service = batch.getResourceList().stream().filter(kv -> kv.getKey().equals("service.name"))
            .map(kv -> kv.getValue().getStringValue()).findFirst().orElse("");
        Set<String> pods = new TreeSet<>();
        for (LogRecord r : batch.getRecordsList()) {
          serviceOf.put(r.getBody().getStringValue(), service);
          for (KeyValue kv : r.getAttributesList()) {
            if (kv.getKey().equals("k8s.pod.name")) pods.add(kv.getValue().getStringValue().split("-")[0]);
          }
        }
        if (pods.size() > 1) mixedBatches.add(pods.toString());
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      return TestCollector.Answer.ACK;
    });
    collector.start(0);
  }

  @AfterEach
  void stop() {
    collector.close();
  }

  static String cri(String prefix, int from, int to) {
    StringBuilder s = new StringBuilder();
    for (int i = from; i < to; i++)
      s.append("2026-12-05T03:00:00.000000000Z stdout F ").append(prefix).append(i).append('\n');
    return s.toString();
  }

  @Test
  void eachPodsLinesCarryItsWorkloadAsServiceNameInBatchesOfOneService() throws Exception {
    Path pods = tmp.resolve("pods");
    Path checkout = pods.resolve("shop_checkout-7d9f8b6c5d-x2k4p_5f0e7a4c-2b1d-4c8e-9a6f-0d3b2c1a9e8f/app/0.log");
    Path payments = pods.resolve("shop_payments-0_6a1f8b5d-3c2e-4d9f-8b7a-1e4c3d2b0f9a/app/0.log");
    Files.createDirectories(checkout.getParent());
    Files.createDirectories(payments.getParent());
    InputConfig input =
        InputConfig.plain("pods", pods + "/**/*.log").withFormat(ContainerFormat.CRI, ParserKind.PLAIN, null);
    AgentConfig.Builder b = Harness.config(collector, tmp.resolve("spool"), input)
        .serviceNameFrom(PodServiceName.Mode.WORKLOAD);
    b.pipeline().serviceName("node-agent");
    try (Agent agent = Agent.start(b.build())) {
      for (int round = 0; round < 5; round++) { // interleaved: both files grow between the agent's reads
        Harness.append(checkout, cri("c-", round * 100, round * 100 + 100));
        Harness.append(payments, cri("p-", round * 100, round * 100 + 100));
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> serviceOf.size() >= 1000);
    }
    for (int i = 0; i < 500; i++) {
      assertThat(serviceOf.get("c-" + i)).as("c-" + i).isEqualTo("checkout");
      assertThat(serviceOf.get("p-" + i)).as("p-" + i).isEqualTo("payments");
    }
    assertThat(mixedBatches).isEmpty();
    assertThat(collector.duplicates()).isZero();
  }

  @Test
  void anUnknownSourceIsAConfigErrorNamingTheKey() {
    assertThatThrownBy(() -> AgentConfig.parse(null, "serviceNameFrom: labels\ninputs: [{include: [/var/log/a.log]}]\n",
        k -> null)).isInstanceOf(AgentConfigException.class).hasMessageContaining("serviceNameFrom")
        .hasMessageContaining("workload");
    assertThat(AgentConfig.parse(null, "serviceNameFrom: container\ninputs: [{include: [/var/log/a.log]}]\n", k -> null)
        .serviceNameFrom()).isEqualTo(PodServiceName.Mode.CONTAINER);
  }
}
