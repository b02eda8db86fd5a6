package dev.polyak.data.synthetic;

import dev.polyak.data.image.CifarVariant;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Small deterministic image sets in the official CIFAR binary formats: each class has its own
 * colour and stripe direction, plus noise, so a model can learn them. Same seed, same bytes.
 */
public final class SyntheticCifar {
  private SyntheticCifar() {}

  /** Writes every official file of the variant, {@code recordsPerFile} records each. */
  public static void write(Path folder, CifarVariant variant, long seed, int recordsPerFile) {
    try {
      Files.createDirectories(folder);
      int fileIndex = 0;
      for (String split : CifarVariant.SPLITS) {
        for (String name : variant.files(split)) {
          writeFile(
              folder.resolve(name),
              variant,
              new SplittableRandom(seed * 131 + fileIndex++),
              recordsPerFile);
        }
      }
      if (variant == CifarVariant.CIFAR10) {
        Files.writeString(
            folder.resolve("batches.meta.txt"),
            "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n",
            StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the synthetic images into " + folder, e);
    }
  }

  private static void writeFile(
      Path file, CifarVariant variant, SplittableRandom random, int records) throws IOException {
    byte[] record = new byte[variant.recordBytes()];
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file))) {
      for (int r = 0; r < records; r++) {
        int label = random.nextInt(variant.labelCount());
        if (variant.coarseLabelCount() > 0) {
          record[0] = (byte) (label % variant.coarseLabelCount());
        }
        record[variant.labelBytes() - 1] = (byte) label;
        paint(record, variant.labelBytes(), label, random);
        out.write(record);
      }
    }
  }

  private static void paint(byte[] record, int offset, int label, SplittableRandom random) {
    int plane = CifarVariant.HEIGHT * CifarVariant.WIDTH;
    for (int c = 0; c < CifarVariant.CHANNELS; c++) {
      int base = 40 + ((label * 37 + c * 71) % 160);
      for (int y = 0; y < CifarVariant.HEIGHT; y++) {
        for (int x = 0; x < CifarVariant.WIDTH; x++) {
          int stripe = ((label % 2 == 0 ? x : y) / (2 + label % 4)) % 2 == 0 ? 30 : -30;
          int v = base + stripe + random.nextInt(41) - 20;
          record[offset + c * plane + y * CifarVariant.WIDTH + x] =
              (byte) Math.max(0, Math.min(255, v));
        }
      }
    }
  }
}
