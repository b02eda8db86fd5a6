package dev.polyak.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TensorTest {

  @Test
  void eachFactoryKeepsItsValuesShapeAndType() {
    assertThat(Tensor.ofFloats(new float[] {1, -2, 3.5f, Float.NaN}, 2, 2).floats())
        .containsExactly(1, -2, 3.5f, Float.NaN);
    assertThat(Tensor.ofDoubles(new double[] {Math.E}, 1).doubles()).containsExactly(Math.E);
    assertThat(Tensor.ofInts(new int[] {-1, 2}, 2).ints()).containsExactly(-1, 2);
    assertThat(Tensor.ofLongs(new long[] {Long.MIN_VALUE}).longs()).containsExactly(Long.MIN_VALUE);
    assertThat(Tensor.ofBytes(new byte[] {(byte) 200}, 1, 1).bytes()).containsExactly((byte) 200);
    Tensor tensor = Tensor.ofInts(new int[] {1, 2, 3, 4, 5, 6}, 3, 2);
    assertThat(tensor.dtype()).isEqualTo(DType.I32);
    assertThat(tensor.shape()).containsExactly(3, 2);
    assertThat(tensor.rank()).isEqualTo(2);
    assertThat(tensor.elementCount()).isEqualTo(6);
    assertThat(tensor.byteSize()).isEqualTo(24);
  }

  @Test
  void bytesAreLittleEndian() {
    assertThat(Tensor.ofInts(new int[] {0x01020304}, 1).rawBytes()).containsExactly(4, 3, 2, 1);
    assertThat(Tensor.ofFloats(new float[] {1f}, 1).rawBytes())
        .containsExactly(0, 0, (byte) 0x80, 0x3f);
  }

  @Test
  void aShapeThatDoesNotMatchTheDataIsRefused() {
    assertThatThrownBy(() -> Tensor.ofFloats(new float[] {1, 2, 3}, 2, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("shape [2, 2] holds 4 elements but 3 were given");
    assertThatThrownBy(() -> Tensor.ofFloats(new float[] {1, 2}))
        .hasMessageContaining("shape [] holds 1 elements but 2 were given");
    assertThatThrownBy(() -> Tensor.ofLongs(new long[0], -1))
        .hasMessageContaining("negative dimension");
    assertThatThrownBy(() -> Tensor.of(DType.F64, new long[] {2}, new byte[15]))
        .hasMessageContaining("needs 16 bytes but 15 were given");
    assertThatThrownBy(() -> Tensor.ofFloats(new float[0], Long.MAX_VALUE, 4))
        .hasMessageContaining("overflows");
  }

  @Test
  void readingAsTheWrongTypeIsRefused() {
    Tensor tensor = Tensor.ofLongs(new long[] {1}, 1);

    assertThatThrownBy(tensor::floats)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("the tensor is I64, not F32");
  }

  @Test
  void tensorsAreEqualByValueAndImmutable() {
    float[] data = {1, 2};
    long[] shape = {2};
    Tensor tensor = Tensor.ofFloats(data, shape);
    data[0] = 99;
    shape[0] = 1;
    tensor.shape()[0] = 5;
    tensor.floats()[0] = 7;

    assertThat(tensor).isEqualTo(Tensor.ofFloats(new float[] {1, 2}, 2));
    assertThat(tensor).hasSameHashCodeAs(Tensor.ofFloats(new float[] {1, 2}, 2));
    assertThat(tensor).isNotEqualTo(Tensor.ofFloats(new float[] {1, 2}, 1, 2));
    assertThat(tensor).isNotEqualTo(Tensor.ofInts(new int[] {1, 2}, 2));
    assertThat(tensor.rawBuffer().isReadOnly()).isTrue();
  }

  @Test
  void dtypesUseTheSafetensorsSpelling() {
    assertThat(DType.F32.safetensorsName()).isEqualTo("F32");
    assertThat(DType.fromSafetensorsName("U8")).contains(DType.U8);
    assertThat(DType.fromSafetensorsName("BF16")).isEmpty();
  }
}
