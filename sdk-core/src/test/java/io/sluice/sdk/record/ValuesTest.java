package io.sluice.sdk.record;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.KeyValue;
import io.sluice.wire.RecordWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class ValuesTest {
  @Test
  void mapsJavaTypesToTypedValues() {
    assertThat(Values.of("s").getStringValue()).isEqualTo("s");
    assertThat(Values.of(42).getIntValue()).isEqualTo(42);
    assertThat(Values.of(2.5d).getDoubleValue()).isEqualTo(2.5d);
    assertThat(Values.of(true).getBoolValue()).isTrue();
    assertThat(Values.of((Object) null).getStringValue()).isEqualTo("null");
    assertThat(Values.of(new byte[] {1, 2}).getBytesValue().toByteArray()).containsExactly(1, 2);
  }

  @Test
  void mapsArraysAndCollectionsElementByElement() {
    assertThat(Values.of(new String[] {"a", "b"}).getArrayValue().getValuesList())
        .extracting(AnyValue::getStringValue).containsExactly("a", "b");
    assertThat(Values.of(new int[] {1, 2}).getArrayValue().getValuesList())
        .extracting(AnyValue::getIntValue).containsExactly(1L, 2L);
    assertThat(Values.of(List.of(1L, "x")).getArrayValue().getValuesCount()).isEqualTo(2);
  }

  @Test
  void aThrowingToStringYieldsTheClassName() {
    Object evil = new Object() {
      @Override
      public String toString() {
        throw new IllegalStateException("boom");
      }
    };
    assertThat(Values.of(evil).getStringValue()).startsWith(ValuesTest.class.getName());
  }

  @Test
  void writeEncodesEveryValueAsTheBuiltValueWould() {
    Object[] values = {"s", "", "ü→∞", 0, -1, 42L, (short) 7, (byte) -3, 2.5d, -0.0f, Double.NaN, true, false, null,
        new byte[] {1, 2}, new String[] {"a", "b"}, List.of(1L, "x"), 'c', new java.math.BigDecimal("1.50")};
    for (Object v : values) {
      RecordWriter out = new RecordWriter(64);
      Values.write(out, KeyValue.VALUE_FIELD_NUMBER, v);
      assertThat(out.toByteArray()).as("%s", v)
          .isEqualTo(KeyValue.newBuilder().setValue(Values.of(v)).build().toByteArray());
    }
  }
}
