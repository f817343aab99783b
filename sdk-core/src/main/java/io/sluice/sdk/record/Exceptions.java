package io.sluice.sdk.record;

import io.sluice.proto.v1.ExceptionInfo;
import io.sluice.proto.v1.StackFrame;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Turns a {@link Throwable} into a structured {@link ExceptionInfo}: typed frames, the cause chain and suppressed
 * exceptions. Bounded: at most {@code maxDepth} nested throwables (causes + suppressed, depth-first),
 * {@code maxFrames} frames each, and never more than {@link #MAX_NESTING} levels of nesting; cycles are cut.
 * Thread-safe, allocates only the result.
 */
public final class Exceptions {
  /** Defaults: 64 nested throwables, 256 frames each. */
  public static final int DEFAULT_MAX_DEPTH = 64;
  public static final int DEFAULT_MAX_FRAMES = 256;

  /**
   * Most {@code ExceptionInfo} levels one record nests (a cause or a suppressed exception is one level below its
   * throwable), whatever {@code maxDepth} says. Protobuf parsers refuse messages nested deeper than 100 levels by
   * default (protobuf-java's {@code CodedInputStream} recursion limit); a {@code LogBatch} adds two levels above the
   * exception and a frame one below it, so a deeper chain would make the collector, and every Kafka consumer that
   * parses with the default limit, reject the whole batch that holds it. Beyond this the chain is cut and marked
   * {@code truncated}.
   */
  public static final int MAX_NESTING = 96;

  private Exceptions() {}

  public static ExceptionInfo toProto(Throwable t) {
    return toProto(t, DEFAULT_MAX_DEPTH, DEFAULT_MAX_FRAMES);
  }

  public static ExceptionInfo toProto(Throwable t, int maxDepth, int maxFrames) {
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    return convert(t, maxDepth, maxFrames, seen, new int[] {0}, 1, true).build();
  }

  /**
   * Like {@link #toProto(Throwable, int, int)}; with {@code rootCauseFirst} the returned exception is the root cause
   * and each {@code cause} link points to the throwable that wrapped it, the logged throwable last (Logback's
   * "Wrapped by:" order). The budgets are spent root first, so a limit cuts the outermost wrappers, never the root
   * cause; the last wrapper kept is then marked {@code truncated}. Suppressed exceptions stay with their own
   * throwable.
   */
  public static ExceptionInfo toProto(Throwable t, int maxDepth, int maxFrames, boolean rootCauseFirst) {
    if (!rootCauseFirst) return toProto(t, maxDepth, maxFrames);
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    List<Throwable> chain = new ArrayList<>();
    for (Throwable c = t; c != null && seen.add(c); c = c.getCause()) chain.add(c);
    int[] count = {0};
    List<ExceptionInfo.Builder> kept = new ArrayList<>();
    for (int i = chain.size() - 1; i >= 0; i--) {
      if (count[0] >= maxDepth || kept.size() >= MAX_NESTING) {
        kept.get(kept.size() - 1).setTruncated(true);
        break;
      }
      kept.add(convert(chain.get(i), maxDepth, maxFrames, seen, count, kept.size() + 1, false));
    }
    return linkRootFirst(kept);
  }

  /**
   * Reverses an already built cause chain into root-cause-first order (see
   * {@link #toProto(Throwable, int, int, boolean)}), for exceptions that exist only as {@link ExceptionInfo} (e.g.
   * rebuilt from a deserialized event). A chain already cut by a limit stays cut: its deepest kept throwable comes
   * first and the top is marked {@code truncated}.
   */
  public static ExceptionInfo rootCauseFirst(ExceptionInfo outermost) {
    List<ExceptionInfo.Builder> chain = new ArrayList<>();
    boolean cut = false;
    for (ExceptionInfo e = outermost; e != null; e = e.hasCause() ? e.getCause() : null) {
      if (!e.hasCause()) cut = e.getTruncated();
      chain.add(e.toBuilder().clearCause().setTruncated(false));
    }
    Collections.reverse(chain);
    if (cut) chain.get(0).setTruncated(true);
    return linkRootFirst(chain);
  }

  /** {@code nodes[0]} becomes the top, each one's cause the next. */
  private static ExceptionInfo linkRootFirst(List<ExceptionInfo.Builder> nodes) {
    ExceptionInfo next = null;
    for (int i = nodes.size() - 1; i >= 0; i--) {
      ExceptionInfo.Builder b = nodes.get(i);
      if (next != null) b.setCause(next);
      next = b.build();
    }
    return next;
  }

  /** {@code level}: 1 for the top; a cause or suppressed exception of a throwable at level n is at n + 1. */
  private static ExceptionInfo.Builder convert(Throwable t, int maxDepth, int maxFrames, Set<Throwable> seen,
      int[] count, int level, boolean followCause) {
    seen.add(t);
    count[0]++;
    ExceptionInfo.Builder b = ExceptionInfo.newBuilder().setType(t.getClass().getName());
    String message = safeMessage(t);
    if (message != null) b.setMessage(message);
    StackTraceElement[] frames = t.getStackTrace();
    int n = Math.min(frames.length, maxFrames);
    for (int i = 0; i < n; i++) {
      StackTraceElement f = frames[i];
      StackFrame.Builder fb = StackFrame.newBuilder().setClassName(f.getClassName()).setMethodName(f.getMethodName())
          .setLineNumber(f.getLineNumber());
      if (f.getFileName() != null) fb.setFileName(f.getFileName());
      if (f.getModuleName() != null) fb.setModule(f.getModuleName());
      b.addFrames(fb);
    }
    b.setFramesOmitted(frames.length - n);
    boolean room = level < MAX_NESTING;
    for (Throwable s : t.getSuppressed()) {
      if (seen.contains(s)) continue;
      if (count[0] >= maxDepth || !room) {
        b.setTruncated(true);
        break;
      }
      b.addSuppressed(convert(s, maxDepth, maxFrames, seen, count, level + 1, true));
    }
    Throwable cause = followCause ? t.getCause() : null;
    if (cause != null && !seen.contains(cause)) {
      if (count[0] >= maxDepth || !room) {
        b.setTruncated(true);
      } else {
        b.setCause(convert(cause, maxDepth, maxFrames, seen, count, level + 1, true));
      }
    }
    return b;
  }

  private static String safeMessage(Throwable t) {
    try {
      return t.getMessage();
    } catch (RuntimeException e) {
      return null;
    }
  }
}
