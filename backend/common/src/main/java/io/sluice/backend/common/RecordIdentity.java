package io.sluice.backend.common;

import java.io.Serializable;

/**
 * Who produced a record and where it sat in that producer's spool: equal identities mean the same log line shipped
 * twice (at-least-once delivery resends whole batches), so the backend keeps the first and drops the rest.
 *
 * @param source the spool's client id (an app instance or an agent)
 * @param epoch the spool's epoch (changes when a spool directory is recreated)
 * @param seq the batch sequence number within the epoch
 * @param idx the record's index in its batch
 */
public record RecordIdentity(String source, long epoch, long seq, int idx) implements Serializable {
  /** A compact, unique string form: {@code source/epoch/seq/idx}, usable as a state key or document id. */
  public String key() {
    return source + "/" + epoch + "/" + seq + "/" + idx;
  }

  /**
   * The shipper batch this record came in, {@code source/epoch/seq}: {@link #key()} without the index. A resend
   * repeats a whole batch, so de-duplication keys on this and keeps the indexes seen per batch.
   */
  public String batchKey() {
    return source + "/" + epoch + "/" + seq;
  }
}
