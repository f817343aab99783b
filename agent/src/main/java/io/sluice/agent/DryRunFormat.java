package io.sluice.agent;

import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogRecord;

/** One record as one readable line for {@code --dry-run}. */
final class DryRunFormat {
  private DryRunFormat() {}

  static String format(LogRecord r) {
    StringBuilder sb = new StringBuilder();
    sb.append(r.getSource().getFile()).append(':').append(r.getSource().getOffset());
    if (!r.getSeverityText().isEmpty()) sb.append(' ').append(r.getSeverityText());
    sb.append(' ').append(value(r.getBody()).replace("\n", "\\n"));
    if (r.getTruncated()) sb.append(" [truncated]");
    for (KeyValue kv : r.getAttributesList()) {
      if (kv.getKey().equals("log.file.path") || kv.getKey().equals("log.input")) continue;
      sb.append(' ').append(kv.getKey()).append('=').append(value(kv.getValue()));
    }
    return sb.toString();
  }

  private static String value(AnyValue v) {
    return switch (v.getValueCase()) {
      case STRING_VALUE -> v.getStringValue();
      case BOOL_VALUE -> String.valueOf(v.getBoolValue());
      case INT_VALUE -> String.valueOf(v.getIntValue());
      case DOUBLE_VALUE -> String.valueOf(v.getDoubleValue());
      default -> v.toString().replace("\n", " ").trim();
    };
  }
}
