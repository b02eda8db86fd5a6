package dev.polyak.prune;

import dev.polyak.RunFileException;
import dev.polyak.nn.Structure;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The rules of {@code scope: [weights]}: weight-level (unstructured) pruning of the model's
 * convolution and linear weights, each element its own unit. It stands alone (a scope that mixes
 * single weights with structures would rank units of different sizes against each other) and takes
 * the methods whose score is per weight ({@link PruningMethod#scoresWeights()}).
 */
final class WeightScope {
  private WeightScope() {}

  /**
   * The methods the paper runs unstructured on its CNNs (VGG-16, ResNet-56): weight-level masks at
   * the target ratio, as their authors prune (Lee et al. 2019, Wang et al. 2020, Frankle et al.
   * 2019).
   */
  private static final Set<PruningMethod> UNSTRUCTURED_ON_CNNS =
      java.util.EnumSet.of(PruningMethod.SNIP, PruningMethod.GRASP, PruningMethod.LTH);

  /**
   * The scope a {@code pruning:} block without {@code scope} gets: {@code [weights]} for snip,
   * grasp and lth on a model whose own structures are filters (the paper's CNN protocol), the
   * model's own structures otherwise. {@code scope: [filters]} keeps the structured versions.
   */
  static Set<Structure.Kind> defaultFor(PruningMethod method, Set<Structure.Kind> modelKinds) {
    return modelKinds.equals(Set.of(Structure.Kind.FILTER)) && UNSTRUCTURED_ON_CNNS.contains(method)
        ? Set.of(Structure.Kind.WEIGHT)
        : modelKinds;
  }

  static void check(PruningMethod method, Set<Structure.Kind> scope) {
    if (!scope.equals(Set.of(Structure.Kind.WEIGHT))) {
      throw new RunFileException(
          "pruning.scope",
          "pruning.scope: weights prunes single weights and cannot be mixed with structures, got "
              + scope.stream().map(PruningSpec::kindName).sorted().toList());
    }
    if (method != PruningMethod.DENSE && !method.scoresWeights()) {
      throw new RunFileException(
          "pruning.scope",
          "pruning.scope [weights] takes a method that scores single weights ("
              + Arrays.stream(PruningMethod.values())
                  .filter(PruningMethod::scoresWeights)
                  .map(PruningMethod::id)
                  .collect(Collectors.joining(", "))
              + "); "
              + method.id()
              + " scores structures");
    }
  }
}
