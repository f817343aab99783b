package io.sluice.proto.v1;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** The wire compatibility of ServerFrame after its Credit frame (field 3) was dropped and reserved. */
class ServerFrameTest {

  @Test
  void aCreditFrameFromAnOldServerParsesAsNoFrameAndIsIgnored() throws IOException {
    // What a server built with the old schema would have sent: ServerFrame { credit = 3 { batches = 1: 7 } }.
    ByteArrayOutputStream credit = new ByteArrayOutputStream();
    CodedOutputStream inner = CodedOutputStream.newInstance(credit);
    inner.writeUInt32(1, 7);
    inner.flush();
    ByteArrayOutputStream frame = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(frame);
    out.writeByteArray(3, credit.toByteArray());
    out.flush();

    ServerFrame parsed = ServerFrame.parseFrom(frame.toByteArray());

    assertThat(parsed.getFrameCase()).isEqualTo(ServerFrame.FrameCase.FRAME_NOT_SET);
    assertThat(parsed.getUnknownFields().hasField(3)).isTrue();
  }

  @Test
  void theRemainingFramesKeepTheirNumbers() throws IOException {
    ServerFrame ack = ServerFrame.newBuilder().setAck(Ack.newBuilder().setSequence(42)).build();
    ServerFrame goAway = ServerFrame.newBuilder().setGoAway(GoAway.newBuilder().setReason("drain")).build();

    assertThat(ack.toByteArray()[0]).isEqualTo((byte) ((1 << 3) | 2));
    assertThat(goAway.toByteArray()[0]).isEqualTo((byte) ((4 << 3) | 2));
    assertThat(ServerFrame.parseFrom(ack.toByteArray()).getAck().getSequence()).isEqualTo(42);
    assertThat(ServerFrame.getDescriptor().findFieldByNumber(3)).isNull();
  }
}
