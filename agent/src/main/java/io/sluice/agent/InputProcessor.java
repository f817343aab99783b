package io.sluice.agent;

import com.google.protobuf.ByteString;
import io.sluice.agent.multiline.Event;
import io.sluice.agent.multiline.MultilineAggregator;
import io.sluice.agent.multiline.MultilineMode;
import io.sluice.agent.parse.ContainerDecoder;
import io.sluice.agent.parse.ContainerFormat;
import io.sluice.agent.parse.JsonParser;
import io.sluice.agent.parse.JsonRecordWriter;
import io.sluice.agent.parse.LogfmtParser;
import io.sluice.agent.parse.Parser;
import io.sluice.agent.parse.PlainParser;
import io.sluice.agent.parse.RegexParser;
import io.sluice.agent.tail.Line;
import io.sluice.agent.tail.LineHandler;
import io.sluice.agent.tail.TailedFile;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.SourceInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The line → record path of one file: container envelope ({@link ContainerDecoder}), multiline join per stream
 * ({@link MultilineAggregator}), parser, then the record with its source (file, offset, length), path attributes
 * and input attributes. Bounded by its stages' limits. Not thread-safe: runs on the tailing thread.
 */
final class InputProcessor implements LineHandler {
  private final InputConfig input;
  private final TailedFile file;
  private final Parser parser;
  private final ContainerDecoder decoder;
  private final Map<String, MultilineAggregator> multiline = new HashMap<>(4);
  private final Sink sink;
  private final LongSupplier wallClockNanos;
  /**
   * The path and input attributes, with their strings held as UTF-8 bytes: protobuf writes a String field by
   * encoding it again for every record, a ByteString by copying it.
   */
  private final List<KeyValue> fixed;
  private final AgentStats stats;
  /** {@link #fixed} as encoded LogRecord fields, for {@link Sink#plain}. */
  private final byte[] fixedFields;
  /** No container envelope and no multiline: a line is an event, handed to the parser as the bytes read. */
  private final boolean direct;
  /** {@link #direct} with the plain parser: a line goes to {@link Sink#plain} as its bytes, with no record built. */
  private final boolean plain;
  /**
   * A container envelope, no multiline, the JSON parser: each event's bytes are written straight into its record's
   * bytes ({@link JsonRecordWriter}, then {@link Sink#encoded}); null otherwise.
   */
  private final JsonRecordWriter json;
  /** The {@code log.iostream} attribute of stdout and stderr, encoded as attribute fields. */
  private static final byte[] STDOUT = streamField("stdout");
  private static final byte[] STDERR = streamField("stderr");
  private Path sourcePath;
  private ByteString sourceFile;
  private byte[] sourceFileBytes;
  private long now;

  /** Where a file's records go: the agent's batch, or the dry run's printer. */
  interface Sink {
    void record(TailedFile file, LogRecord record);

    /**
     * A plain-text record from its parts, as {@link io.sluice.wire.BatchWriter#addPlain} takes them (its time and observed time
     * {@code timeNanos}; {@code severityNumber} 0 and an empty {@code severityText} when no level word was found).
     */
    void plain(TailedFile file, long timeNanos, int severityNumber, byte[] severityText, byte[] bodyUtf8,
        byte[] attributeFields, byte[] sourceFile, long offset, long length, boolean truncated);

    /**
     * A record already encoded: a LogRecord's fields, {@code record[off, off + length)}, valid only during the call.
     * By default decoded and passed to {@link #record}.
     */
    default void encoded(TailedFile file, byte[] record, int off, int length) {
      try {
        record(file, LogRecord.parseFrom(java.nio.ByteBuffer.wrap(record, off, length)));
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new IllegalStateException("an encoded record that does not decode", e);
      }
    }

    /** {@link #plain} with the body {@code bodyLength} bytes at {@code bodyOffset} of {@code bodyUtf8} (not kept). */
    default void plain(TailedFile file, long timeNanos, int severityNumber, byte[] severityText, byte[] bodyUtf8,
        int bodyOffset, int bodyLength, byte[] attributeFields, byte[] sourceFile, long offset, long length,
        boolean truncated) {
      plain(file, timeNanos, severityNumber, severityText,
          java.util.Arrays.copyOfRange(bodyUtf8, bodyOffset, bodyOffset + bodyLength), attributeFields, sourceFile,
          offset, length, truncated);
    }
  }

  private static final byte[] NO_BYTES = new byte[0];

  InputProcessor(InputConfig input, TailedFile file, int maxLineBytes, Sink sink,
      LongSupplier wallClockNanos, AgentStats stats) {
    this.input = input;
    this.file = file;
    this.sink = sink;
    this.wallClockNanos = wallClockNanos;
    this.stats = stats;
    this.parser = parser(input);
    this.direct = input.container() == ContainerFormat.NONE && input.multiline().mode() == MultilineMode.NONE;
    this.json = !direct && input.multiline().mode() == MultilineMode.NONE && parser instanceof JsonParser
        ? new JsonRecordWriter() : null;
    int maxEventBytes = Math.max(maxLineBytes, input.multiline().maxBytes());
    this.decoder = json != null ? new ContainerDecoder(input.container(), maxEventBytes, this::jsonEvent)
        : new ContainerDecoder(input.container(), maxEventBytes, this::joined);
    List<KeyValue> attrs = new ArrayList<>();
    attrs.add(kv("log.file.path", file.path().toString()));
    attrs.add(kv("log.input", input.name()));
    file.attributes().forEach((k, v) -> attrs.add(kv(k, v)));
    input.attributes().forEach((k, v) -> attrs.add(kv(k, v)));
    this.fixed = List.copyOf(attrs);
    this.fixedFields = io.sluice.wire.BatchWriter.attributeFields(fixed);
    this.plain = direct && parser instanceof PlainParser;
  }

  private static KeyValue kv(String key, String value) {
    return KeyValue.newBuilder().setKeyBytes(ByteString.copyFromUtf8(key))
        .setValue(AnyValue.newBuilder().setStringValueBytes(ByteString.copyFromUtf8(value))).build();
  }

  static Parser parser(InputConfig input) {
    return switch (input.parser()) {
      case PLAIN -> new PlainParser();
      case JSON -> new JsonParser();
      case LOGFMT -> new LogfmtParser();
      case REGEX -> new RegexParser(input.regex());
    };
  }

  @Override
  public void onLine(Line line, long nowNanos) {
    now = nowNanos;
    if (line.truncated()) stats.linesTruncated.increment();
    if (plain) {
      byte[] utf8 = line.utf8();
      int level = PlainParser.level(utf8, line.ascii());
      if (line.truncated()) stats.recordsTruncated.increment();
      file.recordEmitted(line.end());
      sourceFile();
      sink.plain(file, wallClockNanos.getAsLong(), level < 0 ? 0 : PlainParser.severityNumber(level).getNumber(),
          level < 0 ? NO_BYTES : PlainParser.severityText(level), line.ascii() ? utf8 : PlainParser.body(utf8),
          fixedFields, sourceFileBytes, line.start(), line.end() - line.start(), line.truncated());
    } else if (direct) {
      LogRecord.Builder r = LogRecord.newBuilder();
      long observed = wallClockNanos.getAsLong();
      r.setObservedTimeUnixNano(observed);
      parser.parse(line.utf8(), r);
      emit(r, observed, line.start(), line.end(), line.truncated(), null, 0);
    } else {
      decoder.onLine(line);
    }
  }

  /** The {@link #json} path: the event's record written from its bytes, or JsonParser's record when not covered. */
  private void jsonEvent(byte[] content, int off, int len, boolean ascii, long start, long end, boolean truncated,
      String stream, long timeUnixNano, int lines) {
    long observed = wallClockNanos.getAsLong();
    byte[] streamField = stream == null ? NO_BYTES : stream.equals("stdout") ? STDOUT
        : stream.equals("stderr") ? STDERR : streamField(stream);
    sourceFile(); // sourceFileBytes: the file's current path
    if (json.write(content, off, len, ascii, observed, timeUnixNano, fixedFields, streamField, sourceFileBytes,
        start, end - start, truncated)) {
      if (truncated) stats.recordsTruncated.increment();
      this.file.recordEmitted(end);
      sink.encoded(this.file, json.array(), 0, json.length());
      return;
    }
    LogRecord.Builder r = LogRecord.newBuilder();
    r.setObservedTimeUnixNano(observed);
    parser.parse(new String(content, off, len, StandardCharsets.UTF_8), r);
    emit(r, observed, start, end, truncated, stream, timeUnixNano);
  }

  /** The {@code log.iostream} attribute, as encoded attribute fields. */
  private static byte[] streamField(String name) {
    return io.sluice.wire.BatchWriter.attributeFields(List.of(kv("log.iostream", name)));
  }

  /**
   * The plain path straight from the reader's buffer: an ASCII line's bytes go into the batch as they are, with no
   * object per line; anything else as a {@link Line} ({@link #onLine}).
   */
  @Override
  public void onBytes(byte[] b, int off, int len, long start, long end, boolean truncated, boolean ascii,
      long nowNanos) {
    if (!plain || !ascii) {
      LineHandler.super.onBytes(b, off, len, start, end, truncated, ascii, nowNanos);
      return;
    }
    now = nowNanos;
    if (truncated) {
      stats.linesTruncated.increment();
      stats.recordsTruncated.increment();
    }
    int level = PlainParser.level(b, off, len, true);
    file.recordEmitted(end);
    sourceFile();
    sink.plain(file, wallClockNanos.getAsLong(), level < 0 ? 0 : PlainParser.severityNumber(level).getNumber(),
        level < 0 ? NO_BYTES : PlainParser.severityText(level), b, off, len, fixedFields, sourceFileBytes, start,
        end - start, truncated);
  }

  private void joined(Event e) {
    String key = e.stream() == null ? "" : e.stream();
    MultilineAggregator m = multiline.get(key);
    if (m == null) {
      m = new MultilineAggregator(input.multiline(), this::emit);
      multiline.put(key, m);
    }
    m.onEvent(e, now);
  }

  private void emit(Event e) {
    LogRecord.Builder r = LogRecord.newBuilder();
    long observed = wallClockNanos.getAsLong();
    r.setObservedTimeUnixNano(observed);
    parser.parse(e.text(), r);
    emit(r, observed, e.start(), e.end(), e.truncated(), e.stream(), e.timeUnixNano());
  }

  private void emit(LogRecord.Builder r, long observed, long start, long end, boolean truncated, String stream,
      long timeUnixNano) {
    if (r.getTimeUnixNano() == 0) r.setTimeUnixNano(timeUnixNano != 0 ? timeUnixNano : observed);
    if (truncated) {
      r.setTruncated(true);
      stats.recordsTruncated.increment();
    }
    r.addAllAttributes(fixed);
    if (stream != null) r.addAttributes(kv("log.iostream", stream));
    r.setSource(SourceInfo.newBuilder().setFileBytes(sourceFile()).setOffset(start).setLength(end - start));
    file.recordEmitted(end);
    sink.record(file, r.build());
  }

  /** The file's current path as UTF-8, encoded again only when a rotation renamed the file. */
  private ByteString sourceFile() {
    Path p = file.path();
    if (p != sourcePath) {
      sourcePath = p;
      sourceFile = ByteString.copyFromUtf8(p.toString());
      sourceFileBytes = sourceFile.toByteArray();
    }
    return sourceFile;
  }

  @Override
  public void tick(long nowNanos) {
    now = nowNanos;
    for (MultilineAggregator m : multiline.values()) m.tick(nowNanos);
  }

  @Override
  public long nextDeadline() {
    long d = Long.MAX_VALUE;
    for (MultilineAggregator m : multiline.values()) d = Math.min(d, m.deadline());
    return d;
  }

  @Override
  public void flush(long nowNanos) {
    now = nowNanos;
    decoder.flush(file.position());
    for (MultilineAggregator m : multiline.values()) m.flush();
  }

  @Override
  public long pendingStart() {
    long p = decoder.pendingStart();
    for (MultilineAggregator m : multiline.values()) p = Math.min(p, m.pendingStart());
    return p;
  }

  long droppedLines() {
    long n = 0;
    for (MultilineAggregator m : multiline.values()) n += m.droppedLines();
    return n;
  }
}
