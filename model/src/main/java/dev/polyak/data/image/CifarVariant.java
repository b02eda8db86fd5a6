package dev.polyak.data.image;

import java.util.List;
import java.util.Map;

/** The two CIFAR binary releases and their record formats. */
public enum CifarVariant {
  /** {@code <label><3072 pixels>}; train in data_batch_1..5.bin, test in test_batch.bin. */
  CIFAR10(
      "cifar10",
      1,
      10,
      0,
      Map.of(
          "train",
          List.of(
              "data_batch_1.bin",
              "data_batch_2.bin",
              "data_batch_3.bin",
              "data_batch_4.bin",
              "data_batch_5.bin"),
          "test",
          List.of("test_batch.bin"))),
  /** {@code <coarse label><fine label><3072 pixels>}; train.bin and test.bin. */
  CIFAR100(
      "cifar100", 2, 100, 20, Map.of("train", List.of("train.bin"), "test", List.of("test.bin")));

  public static final int HEIGHT = 32;
  public static final int WIDTH = 32;
  public static final int CHANNELS = 3;
  public static final int IMAGE_BYTES = HEIGHT * WIDTH * CHANNELS;
  public static final List<String> SPLITS = List.of("train", "test");

  private final String id;
  private final int labelBytes;
  private final int labelCount;
  private final int coarseLabelCount;
  private final Map<String, List<String>> files;

  CifarVariant(
      String id,
      int labelBytes,
      int labelCount,
      int coarseLabelCount,
      Map<String, List<String>> files) {
    this.id = id;
    this.labelBytes = labelBytes;
    this.labelCount = labelCount;
    this.coarseLabelCount = coarseLabelCount;
    this.files = files;
  }

  /** {@code cifar10} or {@code cifar100}, as the command line and the manifest spell it. */
  public String id() {
    return id;
  }

  public int recordBytes() {
    return labelBytes + IMAGE_BYTES;
  }

  public int labelBytes() {
    return labelBytes;
  }

  /** Classes of the (fine) label. */
  public int labelCount() {
    return labelCount;
  }

  /** Classes of the coarse label; 0 when the variant has none. */
  public int coarseLabelCount() {
    return coarseLabelCount;
  }

  /** The official file names of a split, in record order. */
  public List<String> files(String split) {
    return files.get(split);
  }

  public static CifarVariant fromId(String id) {
    for (CifarVariant v : values()) {
      if (v.id.equals(id)) {
        return v;
      }
    }
    throw new IllegalArgumentException(
        "unknown CIFAR variant '" + id + "'; use cifar10 or cifar100");
  }
}
