package io.sluice.collector.ingest.fluent;

import io.sluice.collector.ingest.fluent.ForwardException.Reason;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ValueType;

/**
 * Decodes one message of the Fluent forward protocol (v1) in any of its four modes — Message
 * {@code [tag, time, record, option?]}, Forward {@code [tag, [[time, record], ...], option?]}, PackedForward
 * {@code [tag, str|bin of concatenated [time, record], option?]} and CompressedPackedForward (the same, gzip, with
 * option {@code compressed: "gzip"}) — into its tag, events and {@code chunk} option. Event times are integers or
 * floats (seconds), EventTime (ext type 0: seconds and nanoseconds, big-endian uint32 each), or {@code [time,
 * metadata]} (Fluent Bit 2.x); nil or 0 means "now", as in Fluentd. Every read is bounded by the
 * {@link BoundedReader}'s byte limit and the {@link DecodeCost}; gzip output is bounded while it is inflated.
 * Stateless.
 */
final class ForwardDecoder {
  private ForwardDecoder() {}

  /** One event: time in ns since the epoch and its record (keys as strings where they were str or bin). */
  record Event(long timeNanos, Map<Object, Object> record) {}

  /** One forward message; {@code chunk} is the ack token the client wants back, or null. */
  record Message(String tag, List<Event> events, String chunk, String mode) {}

  /**
   * The next message, or null for a heartbeat (a bare nil).
   *
   * @param maxDecompressedBytes bound of the gunzipped entries of a CompressedPackedForward
   */
  static Message read(BoundedReader r, DecodeCost cost, int maxDecompressedBytes, long nowNanos)
      throws IOException, ForwardException {
    MessageUnpacker u = r.unpacker();
    MessageFormat f = u.getNextFormat();
    if (f.getValueType() == ValueType.NIL) {
      u.unpackNil();
      return null;
    }
    if (f.getValueType() != ValueType.ARRAY) {
      String json = f == MessageFormat.POSFIXINT ? " (JSON is not accepted, only MessagePack)" : "";
      throw new ForwardException(Reason.PROTOCOL, "a forward message is a MessagePack array [tag, ...], found a "
          + f.getValueType().name().toLowerCase() + json);
    }
    int n = u.unpackArrayHeader();
    r.need(n);
    if (n < 2 || n > 4) {
      throw new ForwardException(Reason.PROTOCOL, "a forward message has 2 to 4 elements, this one " + n);
    }
    Object tag = r.read();
    if (!(tag instanceof String t)) {
      throw new ForwardException(Reason.PROTOCOL, "the tag (first element) must be a str, found " + kind(tag));
    }
    ValueType second = u.getNextFormat().getValueType();
    List<Event> events = new ArrayList<>();
    Map<?, ?> option = null;
    String mode;
    if (second == ValueType.STRING || second == ValueType.BINARY) {
      byte[] entries = r.readRaw("the PackedForward entries");
      if (n >= 3) option = option(r.read());
      skipRest(r, n - 3);
      Object compressed = option == null ? null : option.get("compressed");
      if (compressed != null) {
        if (!"gzip".equals(text(compressed))) {
          throw new ForwardException(Reason.PROTOCOL, "option compressed is \"" + text(compressed) + "\"; only "
              + "\"gzip\" is known");
        }
        entries = gunzip(entries, maxDecompressedBytes);
        cost.charge(entries.length);
        mode = "CompressedPackedForward";
      } else {
        mode = "PackedForward";
      }
      try (MessageUnpacker inner = MessagePack.newDefaultUnpacker(entries)) {
        BoundedReader in = new BoundedReader(inner, entries.length, null, cost);
        while (inner.hasNext()) {
          addEvent(events, in.read(), nowNanos);
        }
      }
    } else if (second == ValueType.ARRAY) {
      Object list = r.read();
      for (Object e : (List<?>) list) {
        addEvent(events, e, nowNanos);
      }
      if (n >= 3) option = option(r.read());
      skipRest(r, n - 3);
      mode = "Forward";
    } else {
      if (n < 3) {
        throw new ForwardException(Reason.PROTOCOL, "a Message-mode message is [tag, time, record, option?], this "
            + "one has no record");
      }
      Object time = r.read();
      Object record = r.read();
      if (n == 4) option = option(r.read());
      if (record != null) {
        events.add(new Event(time(time, nowNanos), map(record)));
      }
      mode = "Message";
    }
    Object chunk = option == null ? null : option.get("chunk");
    return new Message(t, events, chunk == null ? null : text(chunk), mode);
  }

  private static void skipRest(BoundedReader r, int extra) throws IOException, ForwardException {
    for (int i = 0; i < extra; i++) {
      r.read();
    }
  }

  private static void addEvent(List<Event> events, Object entry, long nowNanos) throws ForwardException {
    if (!(entry instanceof List<?> pair) || pair.size() != 2) {
      throw new ForwardException(Reason.PROTOCOL, "an entry must be [time, record], found " + kind(entry));
    }
    if (pair.get(1) == null) {
      return; // Fluentd skips nil records too
    }
    events.add(new Event(time(pair.get(0), nowNanos), map(pair.get(1))));
  }

  @SuppressWarnings("unchecked")
  private static Map<Object, Object> map(Object record) throws ForwardException {
    if (!(record instanceof Map<?, ?> m)) {
      throw new ForwardException(Reason.PROTOCOL, "a record must be a map, found " + kind(record));
    }
    return (Map<Object, Object>) m;
  }

  private static Map<?, ?> option(Object o) throws ForwardException {
    if (o == null) return null;
    if (!(o instanceof Map<?, ?> m)) {
      throw new ForwardException(Reason.PROTOCOL, "the option must be a map, found " + kind(o));
    }
    return m;
  }

  /** Nanoseconds since the epoch of a forward-protocol time. */
  static long time(Object t, long nowNanos) throws ForwardException {
    if (t instanceof List<?> l && !l.isEmpty()) {
      t = l.get(0); // Fluent Bit 2.x: [time, metadata]
    }
    if (t == null) {
      return nowNanos;
    }
    if (t instanceof Long s) {
      if (s == 0) return nowNanos;
      if (s < 0 || s > Long.MAX_VALUE / 1_000_000_000L) {
        throw new ForwardException(Reason.PROTOCOL, "time " + s + " is not seconds since the epoch");
      }
      return s * 1_000_000_000L;
    }
    if (t instanceof Double d) {
      if (!(d >= 0 && d < Long.MAX_VALUE / 1e9)) {
        throw new ForwardException(Reason.PROTOCOL, "time " + d + " is not seconds since the epoch");
      }
      return d == 0 ? nowNanos : (long) (d * 1e9);
    }
    if (t instanceof BoundedReader.Ext e && e.type() == 0 && e.data().length == 8) {
      long sec = java.nio.ByteBuffer.wrap(e.data()).getInt(0) & 0xFFFFFFFFL;
      long nsec = java.nio.ByteBuffer.wrap(e.data()).getInt(4) & 0xFFFFFFFFL;
      if (nsec >= 1_000_000_000L) {
        throw new ForwardException(Reason.PROTOCOL, "EventTime nanoseconds " + nsec + " are not below 10^9");
      }
      return sec == 0 && nsec == 0 ? nowNanos : sec * 1_000_000_000L + nsec;
    }
    throw new ForwardException(Reason.PROTOCOL, "an event time must be an integer, a float, EventTime (ext type 0,"
        + " 8 bytes) or nil, found " + kind(t));
  }

  /**
   * The gunzipped bytes (concatenated gzip members too, as Fluentd writes them), at most {@code max} of them.
   */
  static byte[] gunzip(byte[] gz, int max) throws ForwardException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(max, Math.max(1024, gz.length * 4)));
    byte[] buf = new byte[16 * 1024];
    long total = 0;
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gz), 8192)) {
      for (int k; (k = in.read(buf)) >= 0;) {
        total += k;
        if (total > max) {
          throw new ForwardException(Reason.DECOMPRESSED_TOO_LARGE, "a CompressedPackedForward message gunzips to "
              + "more than fluent.maxDecompressedBytes (" + max + " bytes, from " + gz.length + " compressed); "
              + "send smaller chunks or raise fluent.maxDecompressedBytes");
        }
        out.write(buf, 0, k);
      }
    } catch (ZipException | java.io.EOFException e) {
      throw new ForwardException(Reason.UNDECODABLE, "the entries of a CompressedPackedForward message are not "
          + "gzip: " + e.getMessage());
    } catch (IOException e) {
      throw new ForwardException(Reason.UNDECODABLE, "the gzip entries cannot be read: " + e);
    }
    return out.toByteArray();
  }

  static String text(Object o) {
    return o instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(o);
  }

  static String kind(Object o) {
    if (o == null) return "nil";
    if (o instanceof String) return "str";
    if (o instanceof byte[]) return "bin";
    if (o instanceof List) return "array";
    if (o instanceof Map) return "map";
    if (o instanceof BoundedReader.Ext e) return "ext type " + e.type();
    return o.getClass().getSimpleName().toLowerCase();
  }
}
