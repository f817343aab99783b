package io.sluice.backend.query;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs every engine call (OpenSearch, Cassandra, Kafka) with a deadline: the caller waits at most
 * {@code limits.queryTimeoutMs}, then gets a 504 naming the engine while the call is cancelled (interrupted). A
 * bounded pool ({@code maxConcurrentRequests} threads, as many queued); past that a request gets 503 at once.
 * Failures and timeouts are counted per engine in {@link QueryMetrics}. Thread-safe.
 */
final class Engines implements AutoCloseable {
  private final ThreadPoolExecutor pool;
  private final Duration timeout;
  private final QueryMetrics metrics;

  Engines(int threads, Duration timeout, QueryMetrics metrics) {
    AtomicInteger n = new AtomicInteger();
    this.pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(threads),
        r -> {
          Thread t = new Thread(r, "sluice-query-engine-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    this.timeout = timeout;
    this.metrics = metrics;
  }

  Duration timeout() {
    return timeout;
  }

  <T> T call(String engine, Callable<T> work) throws HttpError {
    Future<T> f;
    try {
      f = pool.submit(work);
    } catch (RejectedExecutionException e) {
      metrics.engineError(engine, "busy");
      throw new HttpError(503, null, "the service is busy (every engine thread is taken); retry shortly");
    }
    try {
      return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      f.cancel(true);
      metrics.engineError(engine, "timeout");
      throw new HttpError(504, null, engine + " did not answer within " + timeout.toMillis() + " ms");
    } catch (InterruptedException e) {
      f.cancel(true);
      Thread.currentThread().interrupt();
      throw new HttpError(503, null, "interrupted while waiting for " + engine);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof HttpError h) {
        throw h;
      }
      metrics.engineError(engine, "error");
      throw new HttpError(502, null, engine + " failed: " + cause);
    }
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
