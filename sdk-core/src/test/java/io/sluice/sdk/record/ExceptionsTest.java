package io.sluice.sdk.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.InvalidProtocolBufferException;
import io.sluice.proto.v1.ExceptionInfo;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.StackFrame;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class ExceptionsTest {
  @Test
  void rootCauseFirstPutsTheRootOnTopAndItsWrappersBelow() {
    IOException root = new IOException("disk");
    RuntimeException middle = new RuntimeException("middle", root);
    IllegalStateException top = new IllegalStateException("top", middle);
    top.addSuppressed(new IllegalArgumentException("cleanup"));

    ExceptionInfo info = Exceptions.toProto(top, 64, 256, true);

    assertThat(info.getType()).isEqualTo("java.io.IOException");
    assertThat(info.getCause().getMessage()).isEqualTo("middle");
    assertThat(info.getCause().getCause().getMessage()).isEqualTo("top");
    assertThat(info.getCause().getCause().getSuppressed(0).getMessage()).isEqualTo("cleanup");
    assertThat(info.getCause().getCause().hasCause()).isFalse();
    assertThat(Exceptions.rootCauseFirst(Exceptions.toProto(top))).isEqualTo(info);
  }

  @Test
  void rootCauseFirstUnderADepthLimitKeepsTheRootAndCutsTheOutermost() {
    Throwable t = new RuntimeException("0");
    for (int i = 1; i < 10; i++) t = new RuntimeException(String.valueOf(i), t);

    ExceptionInfo info = Exceptions.toProto(t, 3, 0, true);

    assertThat(info.getMessage()).isEqualTo("0");
    assertThat(info.getCause().getCause().getMessage()).isEqualTo("2");
    assertThat(info.getCause().getCause().getTruncated()).isTrue();
    assertThat(info.getCause().getCause().hasCause()).isFalse();
  }

  @Test
  void cutsAChainTwoHundredDeepWhereDefaultProtobufParsersWouldRefuseTheBatch() throws Exception {
    Throwable t = new RuntimeException("0");
    for (int i = 1; i < 200; i++) t = new RuntimeException(String.valueOf(i), t);

    ExceptionInfo info = Exceptions.toProto(t, 256, 1);

    int depth = 1;
    ExceptionInfo e = info;
    while (e.hasCause()) {
      e = e.getCause();
      depth++;
    }
    assertThat(depth).isEqualTo(Exceptions.MAX_NESTING);
    assertThat(e.getMessage()).isEqualTo(String.valueOf(200 - Exceptions.MAX_NESTING));
    assertThat(e.getTruncated()).isTrue();
    LogBatch batch = LogBatch.newBuilder().addRecords(LogRecord.newBuilder().setException(info)).build();
    assertThat(LogBatch.parseFrom(batch.toByteArray())).isEqualTo(batch);
  }

  @Test
  void aChainOneLevelTooDeepForTheCutWouldNotParse() {
    ExceptionInfo deep = ExceptionInfo.newBuilder().addFrames(StackFrame.newBuilder().setClassName("c")).build();
    for (int i = 0; i < Exceptions.MAX_NESTING + 2; i++) deep = ExceptionInfo.newBuilder().setCause(deep).build();
    byte[] bytes = LogBatch.newBuilder().addRecords(LogRecord.newBuilder().setException(deep)).build().toByteArray();
    assertThatThrownBy(() -> LogBatch.parseFrom(bytes)).isInstanceOf(InvalidProtocolBufferException.class);
  }
}
