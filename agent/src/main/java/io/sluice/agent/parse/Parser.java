package io.sluice.agent.parse;

import io.sluice.proto.v1.LogRecord;

/**
 * Turns the text of one event into record fields: body, severity, time, attributes. Never throws and never drops:
 * text it cannot parse becomes the body as is, with a {@code log.parse.error} attribute. Implementations are
 * immutable and thread-safe.
 */
public interface Parser {
  void parse(String text, LogRecord.Builder record);
}
