package dev.polyak.prune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.polyak.nn.Structure;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Per-layer and global targets against hand-counted cases, and the defaults by method and scope.
 */
class AllocationTest {
  private static final int[] VGG16 = {
    64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512
  };

  @Test
  void perLayerKeepsTheCeilingOfTheKeptFractionOfEveryLayer() {
    PruningSchedule half = new PruningSchedule.OneShot(0, 0.5);
    assertThat(Allocation.PER_LAYER.keptAfter(half, 0, VGG16, 1))
        .containsExactly(32, 32, 64, 64, 128, 128, 128, 256, 256, 256, 256, 256, 256);
    // r = 0.3: 5 keeps ceil(3.5) = 4, 7 keeps ceil(4.9) = 5, 10 keeps 7 (0.3 * 10 is 3, not 2.9999)
    PruningSchedule r3 = new PruningSchedule.OneShot(2, 0.3);
    assertThat(Allocation.PER_LAYER.keptAfter(r3, 2, new int[] {5, 7, 10}, 1))
        .containsExactly(4, 5, 7);
    assertThat(Allocation.PER_LAYER.keptAfter(r3, 1, new int[] {5, 7, 10}, 1))
        .containsExactly(5, 7, 10);
    assertThat(Allocation.PER_LAYER.totalKeptAfter(r3, 2, new int[] {5, 7, 10}, 1)).isEqualTo(16);
    // global: 22 structures at 0.3 keep 22 - floor(6.6) = 16 of the whole scope, one entry
    assertThat(Allocation.GLOBAL.keptAfter(r3, 2, new int[] {5, 7, 10}, 1)).containsExactly(16);
  }

  @Test
  void chipsTableKeepsFourFifthsOfTheFirstSevenConvolutionsAndTwoFifthsOfTheRest() {
    PruningSchedule half = new PruningSchedule.OneShot(0, 0.5);
    assertThat(Allocation.CHIP_VGG16.keptAfter(half, 0, VGG16, 1))
        .containsExactly(52, 52, 103, 103, 205, 205, 205, 205, 205, 205, 205, 205, 205);
    // width_divisor 16: 4 keeps 4 - floor(0.8) = 4, 8 keeps 7, 16 keeps 13, 32 keeps 32 -
    // floor(19.2) = 13
    assertThat(
            Allocation.CHIP_VGG16.keptAfter(
                half, 0, new int[] {4, 4, 8, 8, 16, 16, 16, 32, 32, 32, 32, 32, 32}, 1))
        .containsExactly(4, 4, 7, 7, 13, 13, 13, 13, 13, 13, 13, 13, 13);
    assertThatThrownBy(() -> Allocation.CHIP_VGG16.keptAfter(half, 0, new int[] {16, 16, 16}, 1))
        .hasMessageContaining("needs VGG-16's 13 convolutions, the scope has 3 layers");
  }

  @Test
  void aPerLayerLinearSchedulePrunesWheneverSomeLayersCountDrops() {
    // two epochs of 10 steps, final ratio 0.5: a layer of 2 drops after epoch 2 only, a layer of 4
    // after both
    PruningSchedule linear = new PruningSchedule.Linear(0, 1, 0.5);
    int[] sizes = {2, 4};
    assertThat(Allocation.PER_LAYER.keptAfter(linear, 10, sizes, 10)).containsExactly(2, 3);
    assertThat(Allocation.PER_LAYER.keptAfter(linear, 20, sizes, 10)).containsExactly(1, 2);
    assertThat(Allocation.PER_LAYER.prunesAt(linear, 10, sizes, 10)).isTrue();
    assertThat(Allocation.PER_LAYER.prunesAt(linear, 15, sizes, 10)).isFalse();
    assertThat(Allocation.PER_LAYER.prunesAt(linear, 20, sizes, 10)).isTrue();
  }

  @Test
  void defaultsArePerLayerForFiltersGlobalOtherwiseAndChipsTableOnVgg16AtHalf() {
    PruningSchedule half = new PruningSchedule.OneShot(0, 0.5);
    Set<Structure.Kind> filters = Set.of(Structure.Kind.FILTER);
    assertThat(Allocation.defaultFor(PruningMethod.FPGM, filters, "vgg16", half))
        .isEqualTo(Allocation.PER_LAYER);
    assertThat(
            Allocation.defaultFor(
                PruningMethod.GRAD_SCORE, Set.of(Structure.Kind.HEAD), "bert-tiny", half))
        .isEqualTo(Allocation.GLOBAL);
    assertThat(
            Allocation.defaultFor(
                PruningMethod.RANDOM, Set.of(Structure.Kind.EXPERT), "switch-tiny", half))
        .isEqualTo(Allocation.GLOBAL);
    assertThat(
            Allocation.defaultFor(
                PruningMethod.MAGNITUDE, Set.of(Structure.Kind.NEURON), "mlp", half))
        .isEqualTo(Allocation.GLOBAL);
    assertThat(Allocation.defaultFor(PruningMethod.CHIP, filters, "vgg16", half))
        .isEqualTo(Allocation.CHIP_VGG16);
    assertThat(Allocation.defaultFor(PruningMethod.CHIP, filters, "resnet56", half))
        .isEqualTo(Allocation.PER_LAYER);
    assertThat(
            Allocation.defaultFor(
                PruningMethod.CHIP, filters, "vgg16", new PruningSchedule.OneShot(0, 0.7)))
        .isEqualTo(Allocation.PER_LAYER);
    assertThat(Allocation.of("per-layer")).isEqualTo(Allocation.PER_LAYER);
    assertThatThrownBy(() -> Allocation.of("layer"))
        .hasMessage("pruning.allocation must be one of global, per-layer, chip-vgg16, got 'layer'");
  }
}
