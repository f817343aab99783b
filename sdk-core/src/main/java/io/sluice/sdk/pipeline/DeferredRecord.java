package io.sluice.sdk.pipeline;

import io.sluice.proto.v1.LogRecord;
import io.sluice.wire.RecordWriter;

/**
 * A record that the pipeline's batcher thread builds, so the caller's thread only captures what belongs to it (its
 * thread id, its current span, caller data) and hands the rest over: see {@link Pipeline#offer(DeferredRecord)}.
 * Whatever it holds must not change after it is offered (e.g. a Logback event after
 * {@code prepareForDeferredProcessing()}); a framework that reuses its events must copy or encode them first.
 */
public interface DeferredRecord {
  /**
   * What this item counts against {@code queueMaxBytes} while it waits, and a lower bound of its record's encoded
   * size: the caller refuses it as {@link DropReason#TOO_LARGE} already when this exceeds {@code maxRecordBytes}.
   * Cheap (called on the caller's thread) and the same on every call.
   */
  int estimatedBytes();

  /**
   * Builds the record, once: on the batcher thread, or on the caller's thread inside {@link Pipeline#offer} when the
   * queue has a backlog (caller-assisted encoding; only when {@link #writeTo} writes nothing). So the pipeline owns the
   * record from the call on, whatever {@code offer} returns: a refused record may already have been built, and must
   * not be reused. A {@code RuntimeException} drops the record, counted as {@link DropReason#BUILD_FAILED} and reported
   * once through the pipeline's diagnostics.
   */
  LogRecord build();

  /**
   * Writes the record's fields (an encoded {@code LogRecord}) into {@code out}, empty on entry, and returns true; or
   * returns false, having written nothing, when this record is only {@linkplain #build() built}. Called instead of
   * {@link #build()}, once: on the batcher thread, or on the caller's thread inside {@link Pipeline#offer} when the
   * queue has a backlog (caller-assisted encoding: the caller hands over the bytes, the batcher only copies them). The
   * pipeline copies the bytes into its batch as they are, so a record that can write itself costs no message object
   * and no parse. The same ownership and failure rules as {@link #build()} (a {@code RuntimeException} drops the
   * record as {@link DropReason#BUILD_FAILED}).
   */
  default boolean writeTo(RecordWriter out) {
    return false;
  }

  /**
   * The record's {@code SeverityNumber} (0 when unknown), known on the caller's thread: WARN (13) and above may use
   * the last eighth of the hand-off queue, which records below WARN leave free. Cheap, the same on every call.
   */
  default int severityNumber() {
    return 0;
  }
}
