package io.sluice.bench.e2e;

import io.sluice.bench.data.LogLines;

/**
 * One logging setup under test, as the application sees it: {@link #log} is the log call made on a load thread.
 * Every record carries its id and its intended send time ({@code System.nanoTime()}) so that the consumer can count
 * it and time it. Implementations are thread-safe for {@link #log}; {@link #close} flushes what the setup would flush
 * at application shutdown.
 */
interface Emitter extends AutoCloseable {

  /** Where the records end up and how to read id and intended time back from a Kafka value. */
  enum Sink { KAFKA, FILE }

  void log(LogLines.Event event, long id, long intendedNanos);

  /** Decodes {@code {id, intendedNanos}} from a Kafka record value into {@code out}; false when it is not ours. */
  boolean decode(byte[] value, long[] out);

  /** Records known to be dropped by the setup itself (its own counters), or -1 when it does not count them. */
  default long droppedBySetup() {
    return -1;
  }

  /** For FILE sinks: the records found in the file after {@link #close}. */
  default long deliveredToFile() {
    return 0;
  }

  Sink sink();

  @Override
  void close();
}
