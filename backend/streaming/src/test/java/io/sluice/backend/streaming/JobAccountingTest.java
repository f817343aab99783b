package io.sluice.backend.streaming;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JobAccountingTest {
  private static Map<String, Long> balanced() {
    Map<String, Long> c = new HashMap<>();
    c.put("read", 1_200L);
    c.put("decoded_kafka_records", 1_190L);
    c.put("decoded", 1_190L);
    c.put("undecodable_bad_value", 10L);
    c.put("duplicates_dropped", 190L);
    c.put("written_events_0", 1_000L);
    c.put("written_events_1", 1_000L);
    c.put("aggregates_input", 1_000L);
    c.put("aggregates_emitted", 40L);
    c.put("written_aggregates", 40L);
    c.put("fingerprints_input", 120L);
    c.put("fingerprints_emitted", 12L);
    c.put("written_fingerprints", 12L);
    return c;
  }

  @Test
  void balancedBooksHaveNoProblems() {
    JobAccounting books = JobAccounting.of(balanced(), 0);
    assertThat(books.problems(2, true, true)).isEmpty();
    assertThat(books.distinct()).isEqualTo(1_000);
  }

  @Test
  void everyBrokenIdentityIsNamed() {
    Map<String, Long> c = balanced();
    c.put("read", 1_300L); // read more than was decoded or found undecodable
    c.put("written_events_1", 640L); // an output missed records
    c.put("aggregates_input", 999L); // the totals missed one
    c.put("written_aggregates", 39L); // an emitted total not written
    assertThat(JobAccounting.of(c, 7).problems(2, true, true))
        .hasSize(5)
        .anySatisfy(p -> assertThat(p).contains("read 1300 Kafka records but decoded 1190 and found 10 undecodable"))
        .anySatisfy(p -> assertThat(p).contains("written_events_1 is 640 but 1000 distinct"))
        .anySatisfy(p -> assertThat(p).contains("took 999 records of 1000"))
        .anySatisfy(p -> assertThat(p).contains("written_aggregates is 39 but 40"))
        .anySatisfy(p -> assertThat(p).contains("7 records were dropped as late"));
  }

  @Test
  void batchFormatRecordsBalanceByKafkaRecordNotByLine() {
    // 12 batch-format Kafka records holding 3,000 lines (the demo's run that failed when lines were compared)
    Map<String, Long> c = new HashMap<>();
    c.put("read", 12L);
    c.put("decoded_kafka_records", 12L);
    c.put("decoded", 3_000L);
    c.put("written_events_0", 3_000L);
    c.put("aggregates_input", 3_000L);
    c.put("aggregates_emitted", 1L);
    c.put("written_aggregates", 1L);
    assertThat(JobAccounting.of(c, 0).problems(1, true, false)).isEmpty();
    c.put("read", 13L); // one batch read but neither decoded nor counted undecodable
    assertThat(JobAccounting.of(c, 0).problems(1, true, false))
        .containsExactly("read 13 Kafka records but decoded 12 and found 0 undecodable");
  }

  @Test
  void onlyTheOutputsTheGraphHasAreChecked() {
    Map<String, Long> c = new HashMap<>();
    c.put("decoded", 10L);
    c.put("written_events_0", 10L);
    c.put("fingerprints_input", 3L);
    c.put("fingerprints_emitted", 2L); // computed for alerts, not written anywhere
    assertThat(JobAccounting.of(c, 0).problems(1, false, false)).isEmpty();
    assertThat(JobAccounting.of(c, 0).problems(2, false, false))
        .containsExactly("written_events_1 is 0 but 10 distinct records were decoded");
    assertThat(JobAccounting.of(c, 0).problems(1, false, true))
        .containsExactly("written_fingerprints is 0 but 2 totals were emitted");
  }
}
