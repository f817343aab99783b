package io.sluice.sdk.record;

import io.sluice.proto.v1.ExceptionInfo;
import io.sluice.proto.v1.StackFrame;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * Turns a {@link Throwable} into a structured {@link ExceptionInfo}: typed frames, the cause chain and suppressed
 * exceptions. Bounded: at most {@code maxDepth} nested throwables (causes + suppressed, depth-first) and
 * {@code maxFrames} frames each; cycles are cut. Thread-safe, allocates only the result.
 */
public final class Exceptions {
  /** Defaults: 64 nested throwables, 256 frames each. */
  public static final int DEFAULT_MAX_DEPTH = 64;
  public static final int DEFAULT_MAX_FRAMES = 256;

  private Exceptions() {}

  public static ExceptionInfo toProto(Throwable t) {
    return toProto(t, DEFAULT_MAX_DEPTH, DEFAULT_MAX_FRAMES);
  }

  public static ExceptionInfo toProto(Throwable t, int maxDepth, int maxFrames) {
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    return convert(t, maxDepth, maxFrames, seen, new int[] {0});
  }

  private static ExceptionInfo convert(Throwable t, int maxDepth, int maxFrames, Set<Throwable> seen, int[] count) {
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
    for (Throwable s : t.getSuppressed()) {
      if (seen.contains(s)) continue;
      if (count[0] >= maxDepth) {
        b.setTruncated(true);
        break;
      }
      b.addSuppressed(convert(s, maxDepth, maxFrames, seen, count));
    }
    Throwable cause = t.getCause();
    if (cause != null && !seen.contains(cause)) {
      if (count[0] >= maxDepth) {
        b.setTruncated(true);
      } else {
        b.setCause(convert(cause, maxDepth, maxFrames, seen, count));
      }
    }
    return b.build();
  }

  private static String safeMessage(Throwable t) {
    try {
      return t.getMessage();
    } catch (RuntimeException e) {
      return null;
    }
  }
}
