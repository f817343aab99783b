package io.sluice.backend.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.backend.common.RawRecord;
import io.sluice.backend.common.TestKafka;
import io.sluice.backend.common.TestRecords;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.common.TopicPartition;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * The bounded read against a real KRaft broker (the JVM's shared one): it reads exactly the listed range, and a
 * range whose first records are deleted after it was listed (retention, a topic reset) fails the read loudly
 * instead of skipping to the end, which let a run exit 0 over a part of its input.
 */
class BoundedKafkaReadIT {
  @Test
  void readsExactlyTheListedRange() throws Exception {
    TestKafka kafka = TestKafka.shared();
    String topic = "bounded.read.whole";
    kafka.createTopic(topic, 1);
    List<RawRecord> sent = TestRecords.generate(3, 300, 50, 1_000_000L, 60_000L, 0, topic).records();
    kafka.produce(sent);

    List<BoundedKafkaRead.Range> ranges = BoundedKafkaRead.ranges(kafka.bootstrapServers(), List.of(topic));
    assertThat(ranges).containsExactly(new BoundedKafkaRead.Range(topic, 0, 0, 300));
    List<RawRecord> got = new ArrayList<>();
    new BoundedKafkaRead.ReadRangeFn(kafka.bootstrapServers()).process(ranges.get(0), collect(got));
    assertThat(got).extracting(r -> List.of(r.value().length, r.headers().size()))
        .isEqualTo(sent.stream().map(r -> List.of(r.value().length, r.headers().size())).toList());
  }

  @Test
  void recordsDeletedAfterTheRangeWasListedFailTheRead() throws Exception {
    TestKafka kafka = TestKafka.shared();
    String topic = "bounded.read.deleted";
    kafka.createTopic(topic, 1);
    kafka.produce(TestRecords.generate(4, 300, 50, 1_000_000L, 60_000L, 0, topic).records());
    List<BoundedKafkaRead.Range> ranges = BoundedKafkaRead.ranges(kafka.bootstrapServers(), List.of(topic));

    kafka.admin()
        .deleteRecords(Map.of(new TopicPartition(topic, 0), RecordsToDelete.beforeOffset(120)))
        .all()
        .get(30, TimeUnit.SECONDS);

    List<RawRecord> got = new ArrayList<>();
    assertThatThrownBy(
        () -> new BoundedKafkaRead.ReadRangeFn(kafka.bootstrapServers()).process(ranges.get(0), collect(got)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("offsets [0, 120) were deleted")
        .hasMessageContaining("120 records were not read");
    assertThat(got).isEmpty();
  }

  private static DoFn.OutputReceiver<RawRecord> collect(List<RawRecord> into) {
    return new DoFn.OutputReceiver<>() {
      @Override
      public void output(RawRecord output) {
        into.add(output);
      }

      @Override
      public void outputWithTimestamp(RawRecord output, Instant timestamp) {
        into.add(output);
      }
    };
  }
}
