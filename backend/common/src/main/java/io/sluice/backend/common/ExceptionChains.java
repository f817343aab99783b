package io.sluice.backend.common;

import io.sluice.proto.v1.ExceptionInfo;
import io.sluice.proto.v1.StackFrame;
import java.util.ArrayList;
import java.util.List;

/**
 * The structured exception of a record as a compact JSON array, outermost throwable first, then its causes:
 * {@code [{"type":..,"message":..,"frames":["class.method(file:line)",..],"omitted":n}, ..]}. Bounded: at most
 * {@link #MAX_CHAIN} throwables, {@link #MAX_FRAMES} frames each (the rest added to {@code omitted}), messages cut
 * at {@link #MAX_MESSAGE_CHARS}; {@code "truncated":true} on the last entry when the chain was cut. What the query
 * UI renders as frames with causes, stored beside the document in OpenSearch. Stateless and thread-safe.
 */
public final class ExceptionChains {
  public static final int MAX_CHAIN = 10;
  public static final int MAX_FRAMES = 64;
  public static final int MAX_MESSAGE_CHARS = 2_000;

  private ExceptionChains() {}

  /** {@code ""} when the record has no exception. */
  public static String json(ExceptionInfo top) {
    if (top == null || (top.getType().isEmpty() && top.getFramesCount() == 0)) {
      return "";
    }
    List<ExceptionInfo> chain = new ArrayList<>();
    chain.add(top);
    if (top.getCausesCount() > 0) {
      chain.addAll(top.getCausesList());
    } else {
      for (ExceptionInfo c = top; c.hasCause() && chain.size() <= MAX_CHAIN; c = c.getCause()) {
        chain.add(c.getCause());
      }
    }
    boolean cut = chain.size() > MAX_CHAIN;
    int n = Math.min(chain.size(), MAX_CHAIN);
    StringBuilder sb = new StringBuilder(256).append('[');
    for (int i = 0; i < n; i++) {
      ExceptionInfo e = chain.get(i);
      if (i > 0) {
        sb.append(',');
      }
      sb.append("{\"type\":");
      quote(sb, e.getType());
      sb.append(",\"message\":");
      String msg = e.getMessage();
      quote(sb, msg.length() > MAX_MESSAGE_CHARS ? msg.substring(0, MAX_MESSAGE_CHARS) + "…" : msg);
      sb.append(",\"frames\":[");
      int frames = Math.min(e.getFramesCount(), MAX_FRAMES);
      for (int f = 0; f < frames; f++) {
        if (f > 0) {
          sb.append(',');
        }
        StackFrame frame = e.getFrames(f);
        quote(sb, LogEvents.frame(frame));
      }
      sb.append("],\"omitted\":").append(e.getFramesOmitted() + (e.getFramesCount() - frames));
      if ((cut && i == n - 1) || e.getTruncated()) {
        sb.append(",\"truncated\":true");
      }
      sb.append('}');
    }
    return sb.append(']').toString();
  }

  static void quote(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
