package io.sluice.agent.parse;

import io.sluice.proto.v1.LogRecord;
import java.nio.charset.StandardCharsets;

/**
 * Turns the text of one event into record fields: body, severity, time, attributes. Never throws and never drops:
 * text it cannot parse becomes the body as is, with a {@code log.parse.error} attribute. Implementations are
 * immutable and thread-safe.
 */
public interface Parser {
  void parse(String text, LogRecord.Builder record);

  /**
   * The same as {@link #parse(String, LogRecord.Builder)} on the text of these bytes (invalid UTF-8 replaced by
   * U+FFFD). A parser that can use the bytes as they are overrides it; {@code utf8} must not be modified.
   */
  default void parse(byte[] utf8, LogRecord.Builder record) {
    parse(new String(utf8, StandardCharsets.UTF_8), record);
  }
}
