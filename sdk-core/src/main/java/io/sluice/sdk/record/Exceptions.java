package io.sluice.sdk.record;

import io.sluice.proto.v1.ExceptionInfo;
import io.sluice.proto.v1.StackFrame;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Turns a {@link Throwable} (or any throwable-shaped object, see {@link Shape}) into a structured
 * {@link ExceptionInfo}: typed frames, the cause chain and suppressed exceptions.
 *
 * <p>The cause chain is written flat (the wire contract in {@code logs.proto}): the top throwable's {@code causes}
 * lists its cause, that one's cause, and so on, each entry without a {@code cause} of its own, so a chain of any
 * length nests one level and parses with protobuf's default recursion limit. Only suppressed exceptions nest.
 *
 * <p>Bounded: at most {@code maxDepth} throwables in all (the top, its causes and the suppressed ones, depth-first),
 * {@code maxFrames} frames each, suppressed exceptions at most {@link #MAX_NESTING} levels deep; cycles are cut.
 * The throwable whose chain or suppressed list a limit cut is marked {@code truncated}. Thread-safe, allocates only
 * the result and one identity set per call.
 */
public final class Exceptions {
  /** Defaults: 256 throwables (a 200-deep cause chain arrives whole), 256 frames each. */
  public static final int DEFAULT_MAX_DEPTH = 256;
  public static final int DEFAULT_MAX_FRAMES = 256;

  /**
   * Most {@code ExceptionInfo} levels one record nests, whatever {@code maxDepth} says. Causes no longer nest (they
   * are one flat list), so only suppressed exceptions of suppressed exceptions reach this. Protobuf parsers refuse
   * messages nested deeper than 100 levels by default (protobuf-java's {@code CodedInputStream} recursion limit); a
   * {@code LogBatch} adds two levels above the exception and a frame one below it. Beyond this, suppressed
   * exceptions are left out and their holder marked {@code truncated}.
   */
  public static final int MAX_NESTING = 96;

  /** How to read a throwable-like object: a {@link Throwable}, or e.g. Logback's {@code IThrowableProxy}. */
  public interface Shape<T> {
    /** The fully qualified class name, or null when unknown. */
    String type(T t);

    String message(T t);

    /** The frames, or null; the array is only read. */
    StackTraceElement[] frames(T t);

    T cause(T t);

    /** The suppressed throwables, or null; null entries are skipped. */
    T[] suppressed(T t);
  }

  /** {@link Shape} of a {@link Throwable}; a {@code getMessage()} that throws counts as no message. */
  public static final Shape<Throwable> THROWABLE = new Shape<>() {
    @Override
    public String type(Throwable t) {
      return t.getClass().getName();
    }

    @Override
    public String message(Throwable t) {
      try {
        return t.getMessage();
      } catch (RuntimeException e) {
        return null;
      }
    }

    @Override
    public StackTraceElement[] frames(Throwable t) {
      return t.getStackTrace();
    }

    @Override
    public Throwable cause(Throwable t) {
      return t.getCause();
    }

    @Override
    public Throwable[] suppressed(Throwable t) {
      return t.getSuppressed();
    }
  };

  private Exceptions() {}

  public static ExceptionInfo toProto(Throwable t) {
    return toProto(t, DEFAULT_MAX_DEPTH, DEFAULT_MAX_FRAMES);
  }

  public static ExceptionInfo toProto(Throwable t, int maxDepth, int maxFrames) {
    return toProto(t, THROWABLE, maxDepth, maxFrames, false);
  }

  /**
   * Like {@link #toProto(Throwable, int, int)}; with {@code rootCauseFirst} the returned exception is the root cause
   * and its {@code causes} are the throwables that wrapped it, innermost first, the logged throwable last (Logback's
   * "Wrapped by:" order). The budget is spent root first, so a limit cuts the outermost wrappers, never the root
   * cause; the last wrapper kept is then marked {@code truncated}. Suppressed exceptions stay with their own
   * throwable.
   */
  public static ExceptionInfo toProto(Throwable t, int maxDepth, int maxFrames, boolean rootCauseFirst) {
    return toProto(t, THROWABLE, maxDepth, maxFrames, rootCauseFirst);
  }

  /** {@link #toProto(Throwable, int, int, boolean)} for any throwable-shaped object. */
  public static <T> ExceptionInfo toProto(T t, Shape<T> shape, int maxDepth, int maxFrames,
      boolean rootCauseFirst) {
    return new Converter<>(shape, maxDepth, maxFrames).chain(t, 1, rootCauseFirst).build();
  }

  /**
   * The cause chain of an exception as readers see it, the top first: the top (without its causes), then its
   * {@code causes}; for records written before {@code causes} existed, the nested {@code cause} links instead.
   */
  public static List<ExceptionInfo> chain(ExceptionInfo top) {
    List<ExceptionInfo> chain = new ArrayList<>();
    if (top.getCausesCount() > 0) {
      chain.add(top.toBuilder().clearCauses().build());
      chain.addAll(top.getCausesList());
      return chain;
    }
    for (ExceptionInfo e = top; e != null; e = e.hasCause() ? e.getCause() : null) {
      chain.add(e.hasCause() ? e.toBuilder().clearCause().build() : e);
    }
    return chain;
  }

  /** One conversion: the shared budget and the set of throwables already written (cycles, shared instances). */
  private static final class Converter<T> {
    private final Shape<T> shape;
    private final int maxDepth;
    private final int maxFrames;
    private final Set<T> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    private int count;

    Converter(Shape<T> shape, int maxDepth, int maxFrames) {
      this.shape = shape;
      this.maxDepth = maxDepth;
      this.maxFrames = maxFrames;
    }

    /** {@code head} with its flat cause chain; {@code level} is the head's nesting level (1 for the top). */
    ExceptionInfo.Builder chain(T head, int level, boolean rootCauseFirst) {
      List<T> links = new ArrayList<>();
      for (T c = head; c != null && seen.add(c); c = shape.cause(c)) links.add(c);
      List<ExceptionInfo.Builder> kept = new ArrayList<>(links.size());
      for (int i = 0, n = links.size(); i < n; i++) {
        if (count >= maxDepth) {
          kept.get(kept.size() - 1).setTruncated(true);
          break;
        }
        // Chain entries other than the head sit one level below it; their suppressed ones one further.
        int entryLevel = i == 0 ? level : level + 1;
        kept.add(node(links.get(rootCauseFirst ? n - 1 - i : i), entryLevel));
      }
      ExceptionInfo.Builder top = kept.get(0);
      for (int i = 1; i < kept.size(); i++) top.addCauses(kept.get(i));
      return top;
    }

    /** One throwable: type, message, frames and its suppressed exceptions (each with its own chain), no causes. */
    private ExceptionInfo.Builder node(T t, int level) {
      count++;
      ExceptionInfo.Builder b = ExceptionInfo.newBuilder();
      String type = shape.type(t);
      if (type != null) b.setType(type);
      String message = shape.message(t);
      if (message != null) b.setMessage(message);
      StackTraceElement[] frames = shape.frames(t);
      int total = frames == null ? 0 : frames.length;
      int n = Math.min(total, maxFrames);
      for (int i = 0; i < n; i++) b.addFrames(frame(frames[i]));
      b.setFramesOmitted(total - n);
      T[] suppressed = shape.suppressed(t);
      if (suppressed == null) return b;
      // A suppressed exception is one level below t, and its own causes one more.
      boolean room = level + 2 <= MAX_NESTING;
      for (T s : suppressed) {
        if (s == null || seen.contains(s)) continue;
        if (count >= maxDepth || !room) {
          b.setTruncated(true);
          break;
        }
        b.addSuppressed(chain(s, level + 1, false));
      }
      return b;
    }
  }

  private static StackFrame frame(StackTraceElement f) {
    StackFrame.Builder fb = StackFrame.newBuilder().setMethodName(f.getMethodName()).setLineNumber(f.getLineNumber());
    if (f.getClassName() != null) fb.setClassName(f.getClassName());
    if (f.getFileName() != null) fb.setFileName(f.getFileName());
    if (f.getModuleName() != null) fb.setModule(f.getModuleName());
    return fb.build();
  }
}
