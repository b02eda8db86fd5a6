package dev.polyak.diag;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import dev.polyak.nn.Autograd;
import dev.polyak.random.RandomStream;
import dev.polyak.random.RandomStreams;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The smoothness constant β of the probe set's mean task loss: the top eigenvalue of its Hessian by
 * power iteration on Hessian-vector products, as PyHessian computes it. v ← Hv / ‖Hv‖, λ = vᵀHv
 * (the Rayleigh quotient of the v before the update); stop when |λ_k − λ_{k−1}| ≤ tol·|λ_k| or
 * after {@code maxIterations} products. Hv is {@link
 * HessianTrace#hessianVectorProduct(ProbeObjective, List, double, int)}: central differences of
 * gradients over all probes, two gradient passes each.
 *
 * <p>Power iteration finds the eigenvalue of largest magnitude: near a minimum, where the Hessian
 * is close to positive semi-definite, that is the largest one; a negative result says the dominant
 * curvature is negative. Restricted to a structure, v and Hv are kept to zero outside its scalars
 * ({@link Ownership}), giving the top eigenvalue of its diagonal block H_ii.
 *
 * <p>The Hessian-vector products come from float32 gradients, which put a floor near 1e-5 under the
 * quotient's relative change: a tolerance much below 1e-4 may run to the cap (against a dense
 * Hessian of a small MLP, HessianPowerIterationTest, β agrees to a relative 1e-4 at tolerance
 * 1e-4).
 *
 * <p>The start vector is Gaussian from the "smoothness" stream of the seed, one draw per scalar in
 * parameter order, so a fixed seed gives the same β in every process; a structure starts from that
 * vector restricted to its scalars.
 */
public final class HessianPowerIteration {
  /**
   * How to iterate.
   *
   * @param tolerance relative change of the Rayleigh quotient below which the iteration stops
   * @param maxIterations the cap on Hessian-vector products; 0 skips β
   * @param perStructure also each structure's block β (one power iteration per structure)
   */
  public record Settings(double tolerance, int maxIterations, boolean perStructure)
      implements Serializable {
    public static final double DEFAULT_TOLERANCE = 1e-3;
    public static final int DEFAULT_MAX_ITERATIONS = 100;

    public Settings {
      if (!(tolerance > 0) || maxIterations < 0) {
        throw new IllegalArgumentException(
            "power iteration needs tolerance > 0 and max iterations >= 0, got tolerance "
                + tolerance
                + ", max iterations "
                + maxIterations);
      }
    }

    public static Settings defaults() {
      return new Settings(DEFAULT_TOLERANCE, DEFAULT_MAX_ITERATIONS, false);
    }
  }

  /**
   * @param eigenvalue the last Rayleigh quotient vᵀHv: β
   * @param iterations Hessian-vector products computed
   * @param converged whether the relative change fell below the tolerance within the cap
   */
  public record Result(double eigenvalue, int iterations, boolean converged)
      implements Serializable {}

  /**
   * @param whole β of the whole Hessian
   * @param structures each structure's block β in the model's order; null unless asked for
   */
  public record Estimates(Result whole, Result[] structures) implements Serializable {}

  private HessianPowerIteration() {}

  /** β of the whole Hessian and, if the settings ask, of each structure's block. */
  public static Estimates estimate(
      ProbeObjective objective, Settings settings, int batchSize, double relativeStep, long seed) {
    Map<String, NDArray> parameters = objective.model().parameters().all();
    List<NDArray> start = start(parameters.values(), seed);
    try {
      Result whole = iterate(objective, start, null, settings, batchSize, relativeStep);
      Result[] structures = null;
      if (settings.perStructure()) {
        Ownership ownership =
            new Ownership(objective.model().parameters(), objective.model().structures());
        structures = new Result[ownership.structureCount()];
        for (int s = 0; s < structures.length; s++) {
          List<NDArray> mask = mask(parameters, ownership, s);
          try {
            structures[s] = iterate(objective, start, mask, settings, batchSize, relativeStep);
          } finally {
            mask.forEach(NDArray::close);
          }
        }
      }
      return new Estimates(whole, structures);
    } finally {
      start.forEach(NDArray::close);
    }
  }

  /**
   * Power iteration from {@code start}, restricted to the scalars where {@code mask} is 1 when it
   * is non-null. A start vector that is zero there gives λ = 0 at once.
   */
  static Result iterate(
      ProbeObjective objective,
      List<NDArray> start,
      List<NDArray> mask,
      Settings settings,
      int batchSize,
      double relativeStep) {
    List<NDArray> restricted = mask == null ? null : multiply(start, mask);
    List<NDArray> v = normalized(restricted == null ? start : restricted);
    if (restricted != null) {
      restricted.forEach(NDArray::close);
    }
    if (v == null) {
      return new Result(0, 0, true);
    }
    double previous = Double.NaN;
    try {
      for (int k = 1; k <= settings.maxIterations(); k++) {
        List<NDArray> hv = HessianTrace.hessianVectorProduct(objective, v, relativeStep, batchSize);
        if (mask != null) {
          List<NDArray> inside = multiply(hv, mask);
          hv.forEach(NDArray::close);
          hv = inside;
        }
        double rayleigh = dot(hv, v);
        List<NDArray> next = normalized(hv);
        hv.forEach(NDArray::close);
        v.forEach(NDArray::close);
        v = next;
        if (next == null) {
          return new Result(rayleigh, k, true);
        }
        if (k > 1 && Math.abs(rayleigh - previous) <= settings.tolerance() * Math.abs(rayleigh)) {
          return new Result(rayleigh, k, true);
        }
        previous = rayleigh;
      }
      return new Result(previous, settings.maxIterations(), false);
    } finally {
      if (v != null) {
        v.forEach(NDArray::close);
      }
    }
  }

  /**
   * One standard-normal draw per scalar, in parameter order, as float32 arrays not registered with
   * a scope.
   */
  private static List<NDArray> start(Collection<NDArray> parameters, long seed) {
    RandomStream gaussian = new RandomStreams(seed).stream(RandomStreams.SMOOTHNESS);
    List<NDArray> start = new ArrayList<>();
    try (Autograd.Mode off = Autograd.recording(false)) {
      for (NDArray p : parameters) {
        float[] values = new float[Math.toIntExact(p.getShape().size())];
        gaussian.fillGaussian(values, 1f);
        NDArray draw = p.getManager().create(values, p.getShape());
        NDScope.unregister(draw);
        start.add(draw);
      }
    }
    return start;
  }

  /**
   * 1 on structure {@code s}'s scalars, 0 elsewhere, per parameter (float32, not registered with a
   * scope).
   */
  private static List<NDArray> mask(Map<String, NDArray> parameters, Ownership ownership, int s) {
    List<NDArray> mask = new ArrayList<>();
    try (Autograd.Mode off = Autograd.recording(false)) {
      for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
        float[] values = new float[Math.toIntExact(e.getValue().getShape().size())];
        if (ownership.claimed(e.getKey())) {
          int[] owners = ownership.owners(e.getKey(), 0, Ownership.rows(e.getValue()));
          for (int i = 0; i < values.length; i++) {
            values[i] = owners[i] == s ? 1f : 0f;
          }
        }
        NDArray m = e.getValue().getManager().create(values, e.getValue().getShape());
        NDScope.unregister(m);
        mask.add(m);
      }
    }
    return mask;
  }

  /** The products a_t · b_t in a_t's data type, not registered with a scope. */
  private static List<NDArray> multiply(List<NDArray> a, List<NDArray> b) {
    List<NDArray> out = new ArrayList<>();
    try (Autograd.Mode off = Autograd.recording(false)) {
      for (int t = 0; t < a.size(); t++) {
        NDArray product = a.get(t).mul(b.get(t).toType(a.get(t).getDataType(), false));
        NDScope.unregister(product);
        out.add(product);
      }
    }
    return out;
  }

  private static double dot(List<NDArray> a, List<NDArray> b) {
    double sum = 0;
    try (Autograd.Mode off = Autograd.recording(false);
        NDScope scope = new NDScope()) {
      for (int t = 0; t < a.size(); t++) {
        sum +=
            a.get(t)
                .toType(DataType.FLOAT64, false)
                .mul(b.get(t).toType(DataType.FLOAT64, false))
                .sum()
                .getDouble();
      }
    }
    return sum;
  }

  /**
   * x / ‖x‖ as float32 arrays (the parameters' type) not registered with a scope; null when x = 0.
   */
  private static List<NDArray> normalized(List<NDArray> x) {
    double norm = Math.sqrt(GradientNorms.squaredNorm(x));
    if (norm == 0) {
      return null;
    }
    List<NDArray> out = new ArrayList<>();
    try (Autograd.Mode off = Autograd.recording(false)) {
      for (NDArray a : x) {
        try (NDScope scope = new NDScope()) {
          NDArray unit =
              a.toType(DataType.FLOAT64, false).div(norm).toType(DataType.FLOAT32, false);
          NDScope.unregister(unit);
          out.add(unit);
        }
      }
    }
    return out;
  }
}
