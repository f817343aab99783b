package io.sluice.collector.publish;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletionException;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.jupiter.api.Test;

/** The retryable/permanent split of Kafka's errors; the lanes themselves are exercised against a broker. */
class KafkaPublisherTest {
  @Test
  void permanentKafkaErrorsAreDeadLetteredAndTransientOnesRetried() {
    assertThat(KafkaPublisher.permanentReason(new InvalidTopicException("x"))).isEqualTo("TOPIC_INVALID");
    assertThat(KafkaPublisher.permanentReason(new TopicAuthorizationException("x"))).isEqualTo("TOPIC_UNAUTHORIZED");
    assertThat(KafkaPublisher.permanentReason(new RecordTooLargeException("x"))).isEqualTo("RECORD_TOO_LARGE");
    assertThat(KafkaPublisher.permanentReason(new InvalidRecordException("x"))).isEqualTo("RECORD_INVALID");
    // retryable: the topic may appear (a missing one is decided by the lookup, not by one send), brokers come back
    assertThat(KafkaPublisher.permanentReason(new UnknownTopicOrPartitionException("x"))).isNull();
    assertThat(KafkaPublisher.permanentReason(new TimeoutException("x"))).isNull();
    assertThat(KafkaPublisher.permanentReason(new NotEnoughReplicasException("x"))).isNull();
  }

  @Test
  void onlyANonRetryablePublishExceptionIsNotRetryable() {
    assertThat(PublishException.retryable(new TimeoutException("x"))).isTrue();
    assertThat(PublishException.retryable(new PublishException("busy", true))).isTrue();
    assertThat(PublishException.retryable(new PublishException("never", false))).isFalse();
    assertThat(PublishException.retryable(new CompletionException(new PublishException("never", false)))).isFalse();
  }
}
