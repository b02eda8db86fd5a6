package dev.polyak.checkpoint;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * An immutable n-dimensional array as safetensors stores it: an element type, a shape and the
 * elements as little-endian bytes in row-major order. Two tensors are equal when their type, shape
 * and bytes are equal (so NaN payloads compare exactly). A shape of {@code []} is a scalar.
 */
public final class Tensor {
  private final DType dtype;
  private final long[] shape;
  private final byte[] data;

  private Tensor(DType dtype, long[] shape, byte[] data) {
    this.dtype = dtype;
    this.shape = shape;
    this.data = data;
  }

  /**
   * A tensor over a copy of {@code littleEndianBytes}.
   *
   * @throws IllegalArgumentException if a dimension is negative or the byte count is not {@code
   *     dtype.byteSize() × product(shape)}
   */
  public static Tensor of(DType dtype, long[] shape, byte[] littleEndianBytes) {
    return wrap(dtype, shape.clone(), littleEndianBytes.clone());
  }

  /** Takes ownership of both arrays; the caller must not change them afterwards. */
  static Tensor wrap(DType dtype, long[] shape, byte[] littleEndianBytes) {
    long bytes = byteSize(dtype, shape);
    if (bytes != littleEndianBytes.length) {
      throw new IllegalArgumentException(
          String.format(
              "a %s tensor of shape %s needs %d bytes but %d were given",
              dtype, Arrays.toString(shape), bytes, littleEndianBytes.length));
    }
    return new Tensor(dtype, shape, littleEndianBytes);
  }

  public static Tensor ofFloats(float[] data, long... shape) {
    ByteBuffer buffer = allocate(DType.F32, data.length, shape);
    buffer.asFloatBuffer().put(data);
    return new Tensor(DType.F32, shape.clone(), buffer.array());
  }

  public static Tensor ofDoubles(double[] data, long... shape) {
    ByteBuffer buffer = allocate(DType.F64, data.length, shape);
    buffer.asDoubleBuffer().put(data);
    return new Tensor(DType.F64, shape.clone(), buffer.array());
  }

  public static Tensor ofInts(int[] data, long... shape) {
    ByteBuffer buffer = allocate(DType.I32, data.length, shape);
    buffer.asIntBuffer().put(data);
    return new Tensor(DType.I32, shape.clone(), buffer.array());
  }

  public static Tensor ofLongs(long[] data, long... shape) {
    ByteBuffer buffer = allocate(DType.I64, data.length, shape);
    buffer.asLongBuffer().put(data);
    return new Tensor(DType.I64, shape.clone(), buffer.array());
  }

  /** A {@code U8} tensor; each byte is read as an unsigned value 0..255 by other libraries. */
  public static Tensor ofBytes(byte[] data, long... shape) {
    ByteBuffer buffer = allocate(DType.U8, data.length, shape);
    buffer.put(data);
    return new Tensor(DType.U8, shape.clone(), buffer.array());
  }

  public DType dtype() {
    return dtype;
  }

  /** A copy of the shape. */
  public long[] shape() {
    return shape.clone();
  }

  public int rank() {
    return shape.length;
  }

  /** The product of the dimensions (1 for a scalar). */
  public long elementCount() {
    return data.length / dtype.byteSize();
  }

  /** The number of data bytes, {@code elementCount() × dtype().byteSize()}. */
  public int byteSize() {
    return data.length;
  }

  /** A copy of the little-endian element bytes. */
  public byte[] rawBytes() {
    return data.clone();
  }

  /** A read-only little-endian view of the element bytes, positioned at 0. */
  public ByteBuffer rawBuffer() {
    return ByteBuffer.wrap(data).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  public float[] floats() {
    float[] out = new float[checkType(DType.F32)];
    rawBuffer().asFloatBuffer().get(out);
    return out;
  }

  public double[] doubles() {
    double[] out = new double[checkType(DType.F64)];
    rawBuffer().asDoubleBuffer().get(out);
    return out;
  }

  public int[] ints() {
    int[] out = new int[checkType(DType.I32)];
    rawBuffer().asIntBuffer().get(out);
    return out;
  }

  public long[] longs() {
    long[] out = new long[checkType(DType.I64)];
    rawBuffer().asLongBuffer().get(out);
    return out;
  }

  /** The elements of a {@code U8} tensor (Java bytes are signed: use {@code b & 0xff}). */
  public byte[] bytes() {
    checkType(DType.U8);
    return data.clone();
  }

  /**
   * The number of bytes of a tensor of this type and shape.
   *
   * @throws IllegalArgumentException if a dimension is negative or the size does not fit a Java
   *     array
   */
  static long byteSize(DType dtype, long[] shape) {
    long count = 1;
    try {
      for (long dimension : shape) {
        if (dimension < 0) {
          throw new IllegalArgumentException(
              "negative dimension in shape " + Arrays.toString(shape));
        }
        count = Math.multiplyExact(count, dimension);
      }
      long bytes = Math.multiplyExact(count, (long) dtype.byteSize());
      if (bytes > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException(
            "a " + dtype + " tensor of shape " + Arrays.toString(shape) + " is larger than 2 GiB");
      }
      return bytes;
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " overflows", e);
    }
  }

  private static ByteBuffer allocate(DType dtype, int elements, long[] shape) {
    long bytes = byteSize(dtype, shape);
    if (bytes != (long) elements * dtype.byteSize()) {
      throw new IllegalArgumentException(
          String.format(
              "shape %s holds %d elements but %d were given",
              Arrays.toString(shape), bytes / dtype.byteSize(), elements));
    }
    return ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  private int checkType(DType expected) {
    if (dtype != expected) {
      throw new IllegalStateException("the tensor is " + dtype + ", not " + expected);
    }
    return data.length / dtype.byteSize();
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Tensor that
        && dtype == that.dtype
        && Arrays.equals(shape, that.shape)
        && Arrays.equals(data, that.data);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape)) + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "Tensor[" + dtype + " " + Arrays.toString(shape) + "]";
  }
}
