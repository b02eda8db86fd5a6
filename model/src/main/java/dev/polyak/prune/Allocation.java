package dev.polyak.prune;

import dev.polyak.EnumIds;
import dev.polyak.nn.Structure;
import java.util.Arrays;
import java.util.Set;

/**
 * How a pruning target is shared among the layers (mask groups) of the scope.
 *
 * <ul>
 *   <li>{@code global}: one ranking over the whole scope; the scope keeps the schedule's count of
 *       all its structures (Michel et al.'s head pruning, the paper's BERT and Switch protocol).
 *   <li>{@code per-layer}: every layer follows the schedule on its own, so layer l of n_l
 *       structures keeps {@code n_l − floor(r·n_l) = ⌈(1 − r)·n_l⌉} at ratio r and the layer's best
 *       ones are kept (FPGM, CHIP, magnitude and random filter pruning on VGG-16 and ResNet-56).
 *       The rounding is the schedule's, per layer: the number pruned is rounded down.
 *   <li>{@code chip-vgg16}: per-layer, with CHIP's ratios for VGG-16 at 50 % (Sui et al. 2021):
 *       {@link #CHIP_VGG16_RATIOS}, 20 % in each of the first seven convolutions and 60 % in the
 *       last six. Layer l follows the schedule with its final ratio replaced by its entry.
 * </ul>
 *
 * Protection ({@code min_per_layer}) is a floor under every layer's target in either mode; a run
 * whose targets fall below it is refused before training ({@code Pruner.check}).
 */
public enum Allocation {
  GLOBAL,
  PER_LAYER,
  CHIP_VGG16;

  /** CHIP's VGG-16 pruning ratio of each of the thirteen convolutions at 50 % overall. */
  public static final double[] CHIP_VGG16_RATIOS = {
    0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6
  };

  /** The overall ratio CHIP's VGG-16 table is for. */
  public static final double CHIP_VGG16_RATIO = 0.5;

  /** The name a run file uses: {@code per-layer} for {@code PER_LAYER}. */
  public String id() {
    return EnumIds.id(this);
  }

  /**
   * The allocation a run file names.
   *
   * @throws dev.polyak.RunFileException naming {@code pruning.allocation} and every allocation's id
   */
  public static Allocation of(String id) {
    return EnumIds.parse(Allocation.class, "pruning.allocation", id);
  }

  /**
   * The allocation a {@code pruning:} block without the key gets: per-layer for filters, global for
   * heads, experts and neurons (and any mixed scope); for chip on {@code vgg16} at a final ratio of
   * 0.5, CHIP's table; global for dpfps, whose scores carry its own per-layer allocation.
   */
  public static Allocation defaultFor(
      PruningMethod method, Set<Structure.Kind> scope, String model, PruningSchedule schedule) {
    boolean filters = scope.equals(Set.of(Structure.Kind.FILTER));
    if (method == PruningMethod.CHIP
        && filters
        && "vgg16".equals(model)
        && schedule.finalRatio() == CHIP_VGG16_RATIO) {
      return CHIP_VGG16;
    }
    // dpfps's scores carry its own dynamic allocation, which one global ranking reproduces
    return filters && method != PruningMethod.DPFPS ? PER_LAYER : GLOBAL;
  }

  /** Refuses a {@code chip-vgg16} allocation on another scope or ratio than the table's. */
  void check(Set<Structure.Kind> scope, PruningSchedule schedule) {
    if (this == CHIP_VGG16
        && (!scope.equals(Set.of(Structure.Kind.FILTER))
            || schedule.finalRatio() != CHIP_VGG16_RATIO)) {
      throw new IllegalArgumentException(
          "pruning.allocation chip-vgg16 is CHIP's table for VGG-16's filters at a final"
              + " ratio of 0.5; got scope "
              + scope.stream().map(PruningSpec::kindName).sorted().toList()
              + " and final ratio "
              + schedule.finalRatio()
              + " (use per-layer)");
    }
  }

  /**
   * Each layer's number of structures to keep once step {@code step} has been taken, layers in the
   * order of {@code layerSizes}; for {@code global} the scope's total as one entry.
   */
  public int[] keptAfter(
      PruningSchedule schedule, long step, int[] layerSizes, long stepsPerEpoch) {
    if (this == GLOBAL) {
      return new int[] {schedule.keptAfter(step, Arrays.stream(layerSizes).sum(), stepsPerEpoch)};
    }
    if (this == CHIP_VGG16 && layerSizes.length != CHIP_VGG16_RATIOS.length) {
      throw new IllegalArgumentException(
          "pruning.allocation chip-vgg16 needs VGG-16's "
              + CHIP_VGG16_RATIOS.length
              + " convolutions, the scope has "
              + layerSizes.length
              + " layers (use per-layer)");
    }
    int[] kept = new int[layerSizes.length];
    for (int l = 0; l < kept.length; l++) {
      PruningSchedule own =
          this == CHIP_VGG16 ? schedule.withFinalRatio(CHIP_VGG16_RATIOS[l]) : schedule;
      kept[l] = own.keptAfter(step, layerSizes[l], stepsPerEpoch);
    }
    return kept;
  }

  /** The scope's total to keep once step {@code step} has been taken. */
  public int totalKeptAfter(
      PruningSchedule schedule, long step, int[] layerSizes, long stepsPerEpoch) {
    return Arrays.stream(keptAfter(schedule, step, layerSizes, stepsPerEpoch)).sum();
  }

  /**
   * Whether pruning happens after step {@code step}: the total drops there (some layer's count
   * drops).
   */
  public boolean prunesAt(
      PruningSchedule schedule, long step, int[] layerSizes, long stepsPerEpoch) {
    int before =
        step == 0
            ? Arrays.stream(layerSizes).sum()
            : totalKeptAfter(schedule, step - 1, layerSizes, stepsPerEpoch);
    return step >= 0 && totalKeptAfter(schedule, step, layerSizes, stepsPerEpoch) < before;
  }
}
