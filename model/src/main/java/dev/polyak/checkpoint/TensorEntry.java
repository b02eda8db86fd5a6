package dev.polyak.checkpoint;

import java.util.Arrays;

/** One tensor's line in a safetensors header: where its bytes lie in the data buffer. */
record TensorEntry(String name, DType dtype, long[] shape, long begin, long end) {

  long byteSize() {
    return end - begin;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof TensorEntry that
        && name.equals(that.name)
        && dtype == that.dtype
        && Arrays.equals(shape, that.shape)
        && begin == that.begin
        && end == that.end;
  }

  @Override
  public int hashCode() {
    return 31 * name.hashCode() + Arrays.hashCode(shape) + Long.hashCode(begin);
  }

  @Override
  public String toString() {
    return name + " " + dtype + " " + Arrays.toString(shape) + " [" + begin + ", " + end + "]";
  }
}
