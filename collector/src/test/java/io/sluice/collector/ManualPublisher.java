package io.sluice.collector;

import io.sluice.collector.publish.PublishBatch;
import io.sluice.collector.publish.Publisher;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A Publisher whose futures the test completes by hand, to drive flow control and shutdown deterministically.
 * It is a test collaborator standing in for Kafka's timing, not evidence of delivery (the ITs use a real broker).
 */
public final class ManualPublisher implements Publisher {
  public record Pending(PublishBatch batch, CompletableFuture<Void> future) {}

  public final List<Pending> published = new CopyOnWriteArrayList<>();
  public volatile boolean closed;

  @Override
  public CompletableFuture<Void> publish(PublishBatch batch) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    published.add(new Pending(batch, f));
    return f;
  }

  /** Completes every future handed out so far; returns how many were newly completed. */
  public int completeAll() {
    int n = 0;
    for (Pending p : published) {
      if (p.future().complete(null)) {
        n++;
      }
    }
    return n;
  }

  public long pendingCount() {
    return published.stream().filter(p -> !p.future().isDone()).count();
  }

  @Override
  public void close(Duration timeout) {
    closed = true;
  }
}
