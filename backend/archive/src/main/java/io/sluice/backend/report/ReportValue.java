package io.sluice.backend.report;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.io.Writable;

/**
 * What the daily report sums per key: a count and, for error fingerprints, the earliest occurrence as the example
 * (earliest by event time, then by body, so the example does not depend on how the input was split). Mutable, as
 * Hadoop's reuse of value objects wants.
 */
public final class ReportValue implements Writable {
  /** Examples are cut to this many characters: a report line, not a copy of the log. */
  static final int MAX_EXAMPLE_CHARS = 300;

  long count;
  long firstTimeUnixNano = Long.MAX_VALUE;
  String exceptionType = "";
  String topFrame = "";
  String example = "";

  public ReportValue() {}

  static ReportValue one() {
    ReportValue v = new ReportValue();
    v.count = 1;
    return v;
  }

  static ReportValue occurrence(long timeUnixNano, String exceptionType, String topFrame, String body) {
    ReportValue v = one();
    v.firstTimeUnixNano = timeUnixNano;
    v.exceptionType = exceptionType;
    v.topFrame = topFrame;
    v.example = body.length() > MAX_EXAMPLE_CHARS ? body.substring(0, MAX_EXAMPLE_CHARS) : body;
    return v;
  }

  /** Adds {@code other}'s count and keeps the earlier of the two examples. */
  void merge(ReportValue other) {
    count += other.count;
    if (other.firstTimeUnixNano < firstTimeUnixNano
        || (other.firstTimeUnixNano == firstTimeUnixNano && other.example.compareTo(example) < 0)) {
      firstTimeUnixNano = other.firstTimeUnixNano;
      exceptionType = other.exceptionType;
      topFrame = other.topFrame;
      example = other.example;
    }
  }

  @Override
  public void write(DataOutput out) throws IOException {
    out.writeLong(count);
    out.writeLong(firstTimeUnixNano);
    Text.writeString(out, exceptionType);
    Text.writeString(out, topFrame);
    Text.writeString(out, example);
  }

  @Override
  public void readFields(DataInput in) throws IOException {
    count = in.readLong();
    firstTimeUnixNano = in.readLong();
    exceptionType = Text.readString(in);
    topFrame = Text.readString(in);
    example = Text.readString(in);
  }
}
