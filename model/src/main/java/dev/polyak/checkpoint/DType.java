package dev.polyak.checkpoint;

import java.util.Optional;

/**
 * Element types polyak stores; the constant names are the safetensors spellings ({@code "F32"}).
 */
public enum DType {
  F32(4),
  F64(8),
  I32(4),
  I64(8),
  U8(1);

  private final int byteSize;

  DType(int byteSize) {
    this.byteSize = byteSize;
  }

  /** Bytes per element. */
  public int byteSize() {
    return byteSize;
  }

  /** The spelling in a safetensors header, e.g. {@code "F32"}. */
  public String safetensorsName() {
    return name();
  }

  /**
   * The type spelled {@code name} in a safetensors header, or empty for a type polyak does not
   * read.
   */
  public static Optional<DType> fromSafetensorsName(String name) {
    for (DType dtype : values()) {
      if (dtype.name().equals(name)) {
        return Optional.of(dtype);
      }
    }
    return Optional.empty();
  }
}
