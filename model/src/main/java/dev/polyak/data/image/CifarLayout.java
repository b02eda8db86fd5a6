package dev.polyak.data.image;

import dev.polyak.BadInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The CIFAR files found in an input folder: which variant, and for each split the files in record
 * order with their record counts. Sizes are checked here, before anything runs: a file whose size
 * is not a whole number of records is refused with its name and the remainder.
 */
public record CifarLayout(CifarVariant variant, Map<String, List<SourceFile>> splits) {

  /** One binary file of a split. */
  public record SourceFile(Path path, long records) {
    public String name() {
      return path.getFileName().toString();
    }
  }

  /**
   * Detects the layout, or checks the requested one.
   *
   * @param requested the variant the user asked for; empty to detect it (refusing ambiguous input)
   */
  public static CifarLayout detect(Path folder, Optional<CifarVariant> requested) {
    if (!Files.isDirectory(folder)) {
      throw new BadInputException("input folder " + folder + " does not exist or is not a folder");
    }
    if (isEmpty(folder)) {
      throw new BadInputException("input folder " + folder + " is empty");
    }
    List<CifarVariant> present = new ArrayList<>();
    for (CifarVariant v : CifarVariant.values()) {
      if (!find(folder, v).isEmpty()) {
        present.add(v);
      }
    }
    CifarVariant variant;
    if (requested.isPresent()) {
      variant = requested.get();
      if (!present.contains(variant)) {
        throw new BadInputException(
            "input folder "
                + folder
                + " holds no "
                + variant.id()
                + " file (expected "
                + String.join(", ", variant.files("train"))
                + ", "
                + String.join(", ", variant.files("test"))
                + ")");
      }
    } else if (present.isEmpty()) {
      throw new BadInputException(
          "input folder "
              + folder
              + " holds no CIFAR binary file in a known layout (CIFAR-10:"
              + " data_batch_1..5.bin, test_batch.bin; CIFAR-100: train.bin, test.bin)");
    } else if (present.size() > 1) {
      throw new BadInputException(
          "input folder "
              + folder
              + " holds both CIFAR-10 and CIFAR-100 files; pass --variant cifar10 or cifar100");
    } else {
      variant = present.get(0);
    }
    return new CifarLayout(variant, find(folder, variant));
  }

  private static Map<String, List<SourceFile>> find(Path folder, CifarVariant variant) {
    Map<String, List<SourceFile>> splits = new LinkedHashMap<>();
    for (String split : CifarVariant.SPLITS) {
      List<SourceFile> files = new ArrayList<>();
      for (String name : variant.files(split)) {
        Path path = folder.resolve(name);
        if (Files.isRegularFile(path)) {
          files.add(new SourceFile(path.toAbsolutePath(), records(path, variant)));
        }
      }
      if (!files.isEmpty()) {
        splits.put(split, files);
      }
    }
    return splits;
  }

  private static long records(Path path, CifarVariant variant) {
    long size;
    try {
      size = Files.size(path);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stat " + path, e);
    }
    int record = variant.recordBytes();
    if (size == 0) {
      throw new BadInputException(path + ": empty file, no " + variant.id() + " record");
    }
    if (size % record != 0) {
      throw new BadInputException(
          path
              + ": "
              + size
              + " bytes is not a whole number of "
              + record
              + "-byte "
              + variant.id()
              + " records ("
              + size / record
              + " records and "
              + size % record
              + " bytes left over, from byte offset "
              + (size / record) * record
              + "); truncated or not "
              + variant.id());
    }
    return size / record;
  }

  private static boolean isEmpty(Path folder) {
    try (var list = Files.list(folder)) {
      return list.findAny().isEmpty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + folder, e);
    }
  }
}
