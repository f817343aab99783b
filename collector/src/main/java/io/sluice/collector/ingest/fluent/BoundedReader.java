package io.sluice.collector.ingest.fluent;

import io.sluice.collector.ingest.fluent.ForwardException.Reason;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.msgpack.core.ExtensionTypeHeader;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessageUnpacker;

/**
 * Reads MessagePack values from an unpacker (msgpack-core) into plain Java values — String (str), byte[] (bin),
 * Long, BigInteger (uint64 above Long.MAX_VALUE), Double, Boolean, null, List, Map (in order), {@link Ext} — without
 * ever trusting a declared length: a str/bin/ext payload or an array/map count is checked against the bytes the
 * message may still take ({@code limit} on the unpacker's consumed-bytes counter) before anything is allocated, and
 * every value is charged to a {@link DecodeCost} (its bytes plus a fixed per-value overhead), so a message cannot
 * expand into more memory than the cost bound. Nesting deeper than {@value #MAX_DEPTH} is refused. Not thread-safe.
 */
final class BoundedReader {
  static final int MAX_DEPTH = 64;

  /** A MessagePack extension value (type 0 of 8 bytes is Fluent's EventTime). */
  record Ext(byte type, byte[] data) {}

  private final MessageUnpacker unpacker;
  private DecodeCost cost;
  private long limit;
  private long maxBytes;
  private final String limitName;

  /**
   * @param limit the unpacker's {@code getTotalReadBytes()} this reader may not go past
   * @param limitName the setting named in the error when it would ({@code fluent.maxFrameBytes}); null when the
   *     unpacker reads a byte array whose end is the limit (a declared length past it is then undecodable data)
   */
  BoundedReader(MessageUnpacker unpacker, long limit, String limitName, DecodeCost cost) {
    this.unpacker = unpacker;
    this.limit = limit;
    this.maxBytes = limit;
    this.limitName = limitName;
    this.cost = cost;
  }

  /** Charges the values from now on to {@code cost} (one per message). */
  void cost(DecodeCost cost) {
    this.cost = cost;
  }

  MessageUnpacker unpacker() {
    return unpacker;
  }

  /** Starts a new message: it may take {@code maxBytes} from the unpacker's current position. */
  void limitFromHere(long maxBytes) {
    this.maxBytes = maxBytes;
    limit = unpacker.getTotalReadBytes() + maxBytes;
  }

  /** Fails unless {@code n} more bytes fit in the message, and charges them plus the value overhead. */
  void need(long n) throws ForwardException {
    if (n < 0 || unpacker.getTotalReadBytes() + n > limit) {
      if (limitName == null) {
        throw new ForwardException(Reason.UNDECODABLE, "a value declares " + n + " bytes or items past the end of "
            + "the PackedForward entries");
      }
      throw new ForwardException(Reason.FRAME_TOO_LARGE, "a message is larger than " + limitName + " (" + maxBytes
          + " bytes; a value declares " + n + " more bytes or items than are left); send smaller chunks or raise "
          + limitName);
    }
    cost.charge(n + DecodeCost.PER_VALUE);
  }

  /** The next value; see the class comment. */
  Object read() throws IOException, ForwardException {
    return read(0);
  }

  private Object read(int depth) throws IOException, ForwardException {
    if (depth > MAX_DEPTH) {
      throw new ForwardException(Reason.UNDECODABLE, "a value is nested deeper than " + MAX_DEPTH + " levels");
    }
    MessageFormat f = unpacker.getNextFormat();
    switch (f.getValueType()) {
      case NIL:
        need(0);
        unpacker.unpackNil();
        return null;
      case BOOLEAN:
        need(0);
        return unpacker.unpackBoolean();
      case INTEGER:
        need(0);
        if (f == MessageFormat.UINT64) {
          BigInteger b = unpacker.unpackBigInteger();
          return b.bitLength() < 64 ? (Object) b.longValue() : b;
        }
        return unpacker.unpackLong();
      case FLOAT:
        need(0);
        return unpacker.unpackDouble();
      case STRING: {
        int n = unpacker.unpackRawStringHeader();
        need(n);
        return new String(unpacker.readPayload(n), StandardCharsets.UTF_8);
      }
      case BINARY: {
        int n = unpacker.unpackBinaryHeader();
        need(n);
        return unpacker.readPayload(n);
      }
      case ARRAY: {
        int n = unpacker.unpackArrayHeader();
        need(n); // each element takes at least one byte
        List<Object> list = new ArrayList<>(Math.min(n, 16));
        for (int i = 0; i < n; i++) {
          list.add(read(depth + 1));
        }
        return list;
      }
      case MAP: {
        int n = unpacker.unpackMapHeader();
        need(2L * n);
        Map<Object, Object> map = new LinkedHashMap<>(Math.min(n, 16) * 2);
        for (int i = 0; i < n; i++) {
          Object key = read(depth + 1);
          map.put(key instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : key, read(depth + 1));
        }
        return map;
      }
      case EXTENSION: {
        ExtensionTypeHeader h = unpacker.unpackExtensionTypeHeader();
        need(h.getLength());
        return new Ext(h.getType(), unpacker.readPayload(h.getLength()));
      }
      default:
        throw new ForwardException(Reason.UNDECODABLE, "unknown MessagePack format " + f);
    }
  }

  /** The next str or bin as its bytes (shared-key salts, PackedForward entries: clients send either). */
  byte[] readRaw(String what) throws IOException, ForwardException {
    MessageFormat f = unpacker.getNextFormat();
    int n;
    switch (f.getValueType()) {
      case STRING -> n = unpacker.unpackRawStringHeader();
      case BINARY -> n = unpacker.unpackBinaryHeader();
      default -> throw new ForwardException(Reason.PROTOCOL, what + " must be a str or bin, found "
          + f.getValueType().name().toLowerCase());
    }
    need(n);
    return unpacker.readPayload(n);
  }
}
