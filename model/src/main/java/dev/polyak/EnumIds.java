package dev.polyak;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The spelling run files, sweep files and the command line use for an enum constant, and the way
 * back: {@code per-layer} for {@code PER_LAYER}, {@code grad-score} for {@code GRAD_SCORE}. One
 * rule for every enum a user names, so a refused value always lists what is allowed the same way.
 */
public final class EnumIds {
  private EnumIds() {}

  /** The constant's id: its name in lower case, {@code _} written {@code -}. */
  public static String id(Enum<?> constant) {
    return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** Every id of {@code type}, in declaration order, joined by {@code ", "}. */
  public static String allowed(Class<? extends Enum<?>> type) {
    return Arrays.stream(type.getEnumConstants())
        .map(EnumIds::id)
        .collect(Collectors.joining(", "));
  }

  /** The constant of {@code type} whose id is exactly {@code id}; empty for null or no match. */
  public static <E extends Enum<E>> Optional<E> find(Class<E> type, String id) {
    return Arrays.stream(type.getEnumConstants()).filter(c -> id(c).equals(id)).findFirst();
  }

  /**
   * The constant of {@code type} whose id is exactly {@code id}.
   *
   * @param key the run-file key the id was given under, e.g. {@code pruning.method}
   * @throws RunFileException {@code <key> must be one of <ids>, got '<id>'}
   */
  public static <E extends Enum<E>> E parse(Class<E> type, String key, String id) {
    return find(type, id)
        .orElseThrow(
            () ->
                new RunFileException(
                    key, key + " must be one of " + allowed(type) + ", got '" + id + "'"));
  }
}
