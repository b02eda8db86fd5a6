package dev.polyak.diag;

import ai.djl.ndarray.types.Shape;
import dev.polyak.nn.Parameters;
import dev.polyak.nn.Structure;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Assigns every trainable scalar to exactly one structure or to the rest, so that the structures'
 * kernels and the rest's add up to the whole model's. A structure's slices may overlap another's: a
 * hidden neuron lists its outgoing row, which is also part of the next layer's neurons' incoming
 * columns (and a conv filter the next layer's input channel). Such an element belongs to the
 * structure that comes <em>later</em> in mask order, i.e. the unit that computes with it as part of
 * its own fan-in; a structure keeps the outgoing weights that no later structure claims (a head's
 * output-projection columns, the last hidden layer's classifier weights).
 */
final class Ownership {
  /** The owner of scalars that belong to no structure. */
  static final int REST = -1;

  private record Claim(int structure, Structure.Slice slice) {}

  private final Parameters parameters;
  private final Map<String, List<Claim>> claims = new LinkedHashMap<>();
  private final int structureCount;

  Ownership(Parameters parameters, List<Structure> structures) {
    this.parameters = parameters;
    this.structureCount = structures.size();
    for (int s = 0; s < structures.size(); s++) {
      for (Structure.Slice slice : structures.get(s).slices()) {
        Shape shape = parameters.get(slice.parameter()).getShape();
        if (slice.axis() < 0
            || slice.axis() >= shape.dimension()
            || slice.from() < 0
            || slice.to() > shape.get(slice.axis())
            || slice.from() >= slice.to()) {
          throw new IllegalArgumentException(
              "structure "
                  + structures.get(s).id()
                  + " has slice "
                  + slice
                  + " outside parameter "
                  + slice.parameter()
                  + " of shape "
                  + shape);
        }
        claims.computeIfAbsent(slice.parameter(), k -> new ArrayList<>()).add(new Claim(s, slice));
      }
    }
  }

  int structureCount() {
    return structureCount;
  }

  /** Whether some structure claims part of parameter {@code name}. */
  boolean claimed(String name) {
    return claims.containsKey(name);
  }

  /** Whether some scalar of parameter {@code name} belongs to no structure. */
  boolean hasRest(String name) {
    if (!claimed(name)) {
      return true;
    }
    for (int o : owners(name, 0, rows(parameters.get(name)))) {
      if (o == REST) {
        return true;
      }
    }
    return false;
  }

  /**
   * The owner of every scalar of rows {@code [from, to)} (along axis 0) of parameter {@code name},
   * flattened row-major: a structure index, or {@link #REST}.
   */
  int[] owners(String name, long from, long to) {
    long[] dims = parameters.get(name).getShape().getShape();
    long rowSize = rowSize(dims);
    int[] owner = new int[Math.toIntExact((to - from) * rowSize)];
    Arrays.fill(owner, REST);
    for (Claim claim : claims.getOrDefault(name, List.of())) {
      claim
          .slice()
          .ranges(
              dims,
              from,
              to,
              (lo, hi) -> Arrays.fill(owner, (int) lo, (int) hi, claim.structure()));
    }
    return owner;
  }

  /** The length of a parameter's first axis (1 for a scalar). */
  static long rows(ai.djl.ndarray.NDArray array) {
    long[] dims = array.getShape().getShape();
    return dims.length == 0 ? 1 : dims[0];
  }

  static long rowSize(long[] dims) {
    long size = 1;
    for (int d = 1; d < dims.length; d++) {
      size *= dims[d];
    }
    return size;
  }

  /**
   * The positions of each owner's scalars in {@code owners}: entry {@code s} for structure s, the
   * last entry for the rest; empty arrays for owners with none.
   */
  static long[][] group(int[] owners, int structureCount) {
    int[] counts = new int[structureCount + 1];
    for (int o : owners) {
      counts[o == REST ? structureCount : o]++;
    }
    long[][] groups = new long[structureCount + 1][];
    for (int g = 0; g <= structureCount; g++) {
      groups[g] = new long[counts[g]];
    }
    int[] fill = new int[structureCount + 1];
    for (int e = 0; e < owners.length; e++) {
      int g = owners[e] == REST ? structureCount : owners[e];
      groups[g][fill[g]++] = e;
    }
    return groups;
  }
}
