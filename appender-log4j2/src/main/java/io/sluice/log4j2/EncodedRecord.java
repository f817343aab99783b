package io.sluice.log4j2;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.pipeline.DeferredRecord;
import io.sluice.wire.RecordWriter;
import java.io.IOException;
import org.jctools.queues.MpmcArrayQueue;

/**
 * One {@code sluice.v1.LogRecord} in its wire form, written by {@link Log4j2EventMapper} with proto's
 * {@link RecordWriter}. The pipeline's batcher copies it into its batch as it is ({@link #writeTo}); {@link #build()}
 * parses it for the rare paths that want the message (a caller building its record while it waits for room, tests).
 *
 * <p>Garbage-free in the steady state: records come from a bounded pool ({@link #take()}); {@link #writeTo} and
 * {@link #build()} give the record back to the pool, and so does a caller whose offer was refused
 * ({@link #recycle()}). The pool keeps at most {@link #POOL_SIZE} idle records with buffers of at most
 * {@link #KEPT_BYTES} bytes (a larger one is replaced when recycled), so its idle memory is bounded by about 1 MiB;
 * records in flight are bounded by the pipeline's queue. One record is written by one thread at a time and not
 * touched after it was offered.
 */
final class EncodedRecord extends RecordWriter implements DeferredRecord {
  static final int POOL_SIZE = 1024;
  static final int KEPT_BYTES = 1024;
  private static final int INITIAL_BYTES = 512;
  private static final MpmcArrayQueue<EncodedRecord> POOL = new MpmcArrayQueue<>(POOL_SIZE);

  EncodedRecord() {
    super(INITIAL_BYTES);
  }

  /**
   * Per logging thread: a builder for messages that format themselves ({@code StringBuilderFormattable}), cut back
   * to {@link #KEPT_BYTES} after a larger event.
   */
  static final class Scratch {
    final StringBuilder text = new StringBuilder(256);

    StringBuilder text() {
      if (text.capacity() > KEPT_BYTES) {
        text.setLength(0);
        text.trimToSize();
      }
      text.setLength(0);
      return text;
    }
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  /** This thread's scratch; valid until the thread's next event. */
  static Scratch scratch() {
    return SCRATCH.get();
  }

  /** A cleared record from the pool, or a new one when the pool is empty. */
  static EncodedRecord take() {
    EncodedRecord r = POOL.relaxedPoll();
    return r != null ? r : new EncodedRecord();
  }

  /** Gives this record back to the pool (dropped when the pool is full); it must not be used afterwards. */
  void recycle() {
    reset(KEPT_BYTES, INITIAL_BYTES);
    POOL.relaxedOffer(this);
  }

  @Override
  public int estimatedBytes() {
    return size(); // exact: the encoded record without its tag and length in the batch
  }

  /** Copies the record's bytes into {@code out} (batcher thread) and gives this buffer back to the pool. */
  @Override
  public boolean writeTo(RecordWriter out) {
    try {
      out.raw(array(), 0, size());
      return true;
    } finally {
      recycle();
    }
  }

  /** Parses the record and gives this buffer back to the pool. */
  @Override
  public LogRecord build() {
    try {
      return LogRecord.parseFrom(CodedInputStream.newInstance(array(), 0, size()));
    } catch (IOException e) {
      throw new IllegalStateException("an encoded record did not parse", e);
    } finally {
      recycle();
    }
  }

  /** Parses the bytes without recycling (tests). */
  LogRecord parse() throws InvalidProtocolBufferException {
    return LogRecord.parseFrom(toByteArray());
  }
}
