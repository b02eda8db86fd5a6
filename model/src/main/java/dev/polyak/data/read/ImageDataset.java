package dev.polyak.data.read;

/**
 * The images of one CIFAR split in memory, in shard order (the order of the source files).
 *
 * @param split train or test
 * @param images 3,072 bytes each, CHW: 1024 R, 1024 G, 1024 B, each plane 32x32 row-major
 * @param labels the class (CIFAR-100: fine) label of each image
 * @param coarseLabels CIFAR-100 coarse labels; null for CIFAR-10
 * @param classCount classes of {@code labels}: 10 or 100
 * @param mean per-channel mean of the TRAIN split in 0-255 units, whatever {@code split} is
 * @param std per-channel standard deviation of the TRAIN split in 0-255 units
 */
public record ImageDataset(
    String split,
    byte[][] images,
    int[] labels,
    int[] coarseLabels,
    int classCount,
    float[] mean,
    float[] std) {
  public int size() {
    return images.length;
  }
}
