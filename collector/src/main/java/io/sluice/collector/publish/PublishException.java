package io.sluice.collector.publish;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Why a {@link Publisher} did not publish a batch, and whether sending the batch again can ever succeed. A
 * publisher's future may also fail with any other exception: those count as retryable (Kafka's or the collector's
 * trouble), which is what {@link #retryable(Throwable)} answers for them.
 *
 * <p>Non-retryable means the batch holds records Kafka refuses for good (an invalid, missing or unauthorized topic, a
 * record too large) that could not be dead-lettered either (no dead-letter topic, or it refuses them too): the
 * ingest side answers with a non-retryable Nack ({@code KAFKA_REJECTED}) so the client drops the batch and counts
 * it, instead of resending it forever.
 */
public final class PublishException extends RuntimeException {
  private final boolean retryable;

  public PublishException(String message, boolean retryable) {
    super(message);
    this.retryable = retryable;
  }

  public PublishException(String message, boolean retryable, Throwable cause) {
    super(message, cause);
    this.retryable = retryable;
  }

  public boolean retryable() {
    return retryable;
  }

  /** False only for a (possibly wrapped) non-retryable {@code PublishException}. */
  public static boolean retryable(Throwable error) {
    Throwable e = error;
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    return !(e instanceof PublishException p) || p.retryable();
  }
}
