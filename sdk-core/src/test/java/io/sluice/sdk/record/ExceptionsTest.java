package io.sluice.sdk.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.InvalidProtocolBufferException;
import io.sluice.proto.v1.ExceptionInfo;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.StackFrame;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExceptionsTest {
  @Test
  void writesTheCauseChainFlatWithSuppressedExceptionsOnTheirOwnThrowable() {
    IOException root = new IOException("disk");
    RuntimeException middle = new RuntimeException("middle", root);
    middle.addSuppressed(new IllegalArgumentException("retry", new IOException("retry cause")));
    IllegalStateException top = new IllegalStateException("top", middle);

    ExceptionInfo info = Exceptions.toProto(top);

    assertThat(info.getMessage()).isEqualTo("top");
    assertThat(info.hasCause()).isFalse();
    assertThat(info.getCausesList()).extracting(ExceptionInfo::getMessage).containsExactly("middle", "disk");
    ExceptionInfo retry = info.getCauses(0).getSuppressed(0);
    assertThat(retry.getMessage()).isEqualTo("retry");
    assertThat(retry.getCausesList()).extracting(ExceptionInfo::getMessage).containsExactly("retry cause");
    assertThat(info.getCausesList()).allSatisfy(c -> assertThat(c.getCausesCount()).isZero());
    assertThat(info.getTruncated()).isFalse();
  }

  @Test
  void rootCauseFirstPutsTheRootOnTopAndItsWrappersAfterIt() {
    IOException root = new IOException("disk");
    RuntimeException middle = new RuntimeException("middle", root);
    IllegalStateException top = new IllegalStateException("top", middle);
    top.addSuppressed(new IllegalArgumentException("cleanup"));

    ExceptionInfo info = Exceptions.toProto(top, 64, 256, true);

    assertThat(info.getType()).isEqualTo("java.io.IOException");
    assertThat(info.getCausesList()).extracting(ExceptionInfo::getMessage).containsExactly("middle", "top");
    assertThat(info.getCauses(1).getSuppressed(0).getMessage()).isEqualTo("cleanup");
    assertThat(info.getCausesList()).allSatisfy(c -> assertThat(c.hasCause()).isFalse());
  }

  @Test
  void rootCauseFirstUnderADepthLimitKeepsTheRootAndCutsTheOutermost() {
    Throwable t = new RuntimeException("0");
    for (int i = 1; i < 10; i++) t = new RuntimeException(String.valueOf(i), t);

    ExceptionInfo info = Exceptions.toProto(t, 3, 0, true);

    assertThat(info.getMessage()).isEqualTo("0");
    assertThat(info.getCausesList()).extracting(ExceptionInfo::getMessage).containsExactly("1", "2");
    assertThat(info.getCauses(1).getTruncated()).isTrue();
  }

  @Test
  void keepsAChainTwoHundredDeepWholeAndItParsesWithDefaultProtobufLimits() throws Exception {
    Throwable t = new RuntimeException("0");
    for (int i = 1; i < 200; i++) t = new RuntimeException(String.valueOf(i), t);

    ExceptionInfo info = Exceptions.toProto(t);

    assertThat(info.getMessage()).isEqualTo("199");
    assertThat(info.getCausesCount()).isEqualTo(199);
    assertThat(info.getCauses(198).getMessage()).isEqualTo("0");
    assertThat(info.getCausesList()).noneMatch(ExceptionInfo::getTruncated);
    assertThat(info.getTruncated()).isFalse();
    LogBatch batch = LogBatch.newBuilder().addRecords(LogRecord.newBuilder().setException(info)).build();
    assertThat(LogBatch.parseFrom(batch.toByteArray())).isEqualTo(batch);
  }

  @Test
  void cutsAChainLongerThanTheDepthAndMarksTheLastKept() {
    Throwable t = new RuntimeException("0");
    for (int i = 1; i < 300; i++) t = new RuntimeException(String.valueOf(i), t);

    ExceptionInfo info = Exceptions.toProto(t);

    assertThat(info.getCausesCount()).isEqualTo(Exceptions.DEFAULT_MAX_DEPTH - 1);
    assertThat(info.getCauses(Exceptions.DEFAULT_MAX_DEPTH - 2).getTruncated()).isTrue();
  }

  @Test
  void boundsSuppressedWithinSuppressedSoTheRecordStillParses() throws Exception {
    Throwable t = new RuntimeException("leaf");
    for (int i = 0; i < 200; i++) {
      RuntimeException holder = new RuntimeException("holder " + i);
      holder.addSuppressed(t);
      t = holder;
    }

    ExceptionInfo info = Exceptions.toProto(t, 1000, 1);

    int depth = 1;
    ExceptionInfo e = info;
    while (e.getSuppressedCount() > 0) {
      e = e.getSuppressed(0);
      depth++;
    }
    assertThat(depth).isLessThanOrEqualTo(Exceptions.MAX_NESTING);
    assertThat(e.getTruncated()).isTrue();
    LogBatch batch = LogBatch.newBuilder().addRecords(LogRecord.newBuilder().setException(info)).build();
    assertThat(LogBatch.parseFrom(batch.toByteArray())).isEqualTo(batch);
  }

  @Test
  void cutsACycleInTheCauseChain() {
    RuntimeException a = new RuntimeException("a");
    RuntimeException b = new RuntimeException("b", a);
    a.initCause(b);

    ExceptionInfo info = Exceptions.toProto(b);

    assertThat(info.getCausesList()).extracting(ExceptionInfo::getMessage).containsExactly("a");
    assertThat(info.getTruncated()).isFalse();
  }

  @Test
  void readersSeeTheSameChainInTheFlatAndTheLegacyNestedForm() {
    ExceptionInfo flat = Exceptions.toProto(new IllegalStateException("top", new IOException("root")), 8, 0, false);
    ExceptionInfo nested = ExceptionInfo.newBuilder(flat.getCauses(0)).build();
    nested = flat.toBuilder().clearCauses().setCause(nested).build();

    List<ExceptionInfo> fromFlat = Exceptions.chain(flat);
    List<ExceptionInfo> fromNested = Exceptions.chain(nested);

    assertThat(fromFlat).extracting(ExceptionInfo::getMessage).containsExactly("top", "root");
    assertThat(fromNested).isEqualTo(fromFlat);
  }

  @Test
  void theLegacyNestedChainTwoHundredDeepWouldNotParse() {
    ExceptionInfo deep = ExceptionInfo.newBuilder().addFrames(StackFrame.newBuilder().setClassName("c")).build();
    for (int i = 0; i < 200; i++) deep = ExceptionInfo.newBuilder().setCause(deep).build();
    byte[] bytes = LogBatch.newBuilder().addRecords(LogRecord.newBuilder().setException(deep)).build().toByteArray();
    assertThatThrownBy(() -> LogBatch.parseFrom(bytes)).isInstanceOf(InvalidProtocolBufferException.class);
  }
}
