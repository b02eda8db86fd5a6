package dev.polyak.diag;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.MaskedModel;
import dev.polyak.random.RandomStream;
import dev.polyak.random.RandomStreams;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hutchinson's estimate of the trace of the Hessian of the probe set's task loss, tr(H) = E[vᵀHv]
 * for Rademacher v, with every structure's block trace and the rest's from the same probes.
 * Hessian-vector products are forward differences of gradients (k probes cost k + 1 gradients), as
 * double backward leaks memory in the engine. A fixed seed gives the same estimate in every
 * process; the weights are restored bit for bit.
 *
 * <p>Method, its error and the probe streams: docs/design/diagnostics.md (HessianTrace).
 */
public final class HessianTrace {
  /** An estimate with its standard error (sample standard deviation over probes / √probes). */
  public record Estimate(double trace, double standardError, int probes)
      implements java.io.Serializable {
    static Estimate of(double[] samples) {
      int k = samples.length;
      double mean = SeedSpread.mean(samples);
      double se = SeedSpread.sampleStandardDeviation(samples, mean) / Math.sqrt(k);
      return new Estimate(mean, se, k);
    }
  }

  /**
   * @param structures per structure in the model's order
   * @param epsilon the finite-difference step used
   */
  public record Result(Estimate whole, Estimate[] structures, Estimate rest, double epsilon)
      implements java.io.Serializable {}

  private HessianTrace() {}

  public static Result estimate(
      ProbeObjective objective, int probes, int batchSize, double relativeStep, long seed) {
    if (probes < 1) {
      throw new IllegalArgumentException("hutchinson_probes must be >= 1, got " + probes);
    }
    MaskedModel model = objective.model();
    model.evaluation();
    Map<String, NDArray> parameters = model.parameters().all();
    Ownership ownership = new Ownership(model.parameters(), model.structures());
    int count = ownership.structureCount();
    Map<String, int[]> owners = new LinkedHashMap<>();
    for (String name : parameters.keySet()) {
      if (ownership.claimed(name)) {
        owners.put(name, ownership.owners(name, 0, Ownership.rows(parameters.get(name))));
      }
    }
    RandomStream signs = new RandomStreams(seed).stream(RandomStreams.PROBES);
    double[] whole = new double[probes];
    double[][] perStructure = new double[count][probes];
    double[] rest = new double[probes];
    List<NDArray> saved = save(parameters.values());
    double epsilon = relativeStep * rms(parameters.values());
    List<NDArray> base = GradientNorms.meanLossGradient(objective, batchSize);
    try {
      for (int k = 0; k < probes; k++) {
        signs.seek((long) (k + 1) << 40);
        List<NDArray> v = new ArrayList<>();
        try (NDScope scope = new NDScope()) {
          for (NDArray p : parameters.values()) {
            v.add(rademacher(p, signs));
          }
          List<NDArray> hv = hessianVectorProduct(objective, saved, v, epsilon, batchSize, base);
          int t = 0;
          for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            NDArray product;
            try (Autograd.Mode off = Autograd.recording(false)) {
              product = hv.get(t).mul(v.get(t));
            }
            int[] owner = owners.get(e.getKey());
            if (owner == null) {
              double s = product.sum().getDouble();
              rest[k] += s;
              whole[k] += s;
            } else {
              double[] values = product.toDoubleArray();
              for (int i = 0; i < values.length; i++) {
                if (owner[i] == Ownership.REST) {
                  rest[k] += values[i];
                } else {
                  perStructure[owner[i]][k] += values[i];
                }
                whole[k] += values[i];
              }
            }
            t++;
          }
          hv.forEach(NDArray::close);
        }
      }
    } finally {
      restore(parameters.values(), saved);
      saved.forEach(NDArray::close);
      base.forEach(NDArray::close);
      Autograd.zeroGradients(parameters.values());
    }
    Estimate[] structures = new Estimate[count];
    for (int s = 0; s < count; s++) {
      structures[s] = Estimate.of(perStructure[s]);
    }
    return new Result(Estimate.of(whole), structures, Estimate.of(rest), epsilon);
  }

  /**
   * Hv of the mean task loss over all the objective's samples (batches of {@code batchSize}) at the
   * model's current weights, by central differences of gradients, (∇L(w + εv) − ∇L(w − εv)) / 2ε,
   * with ε = {@code relativeStep} × RMS(w) / max|v|: no scalar moves by more than {@code
   * relativeStep} × RMS(w). For a vector spread over every scalar, as a Rademacher probe, that is
   * the step {@link #estimate} takes; a vector concentrated on few scalars (β's Lanczos and power
   * iterates, GraSP's gradient) gets a smaller ε, where a step scaled by RMS(v) would move those
   * scalars far enough to bias Hv (on a bert-tiny checkpoint it underestimated vᵀHv of a Lanczos
   * vector by 7 %, and β with it). Error: truncation O(ε²) (none for a quadratic loss) plus float32
   * rounding of order u‖∇L‖/ε. The weights are restored bit for bit afterwards (copied back, not
   * subtracted; a −0.0 weight comes back as +0.0) and their gradients left zero. Costs two passes
   * of gradients over the samples.
   *
   * @param v one array per parameter, of its shape and data type, in parameter order; v = 0 gives
   *     Hv = 0 without any pass
   * @return float64 arrays in parameter order, not registered with a scope (the caller closes them)
   */
  public static List<NDArray> hessianVectorProduct(
      ProbeObjective objective, List<NDArray> v, double relativeStep, int batchSize) {
    Collection<NDArray> parameters = objective.model().parameters().arrays();
    double vMax = maxAbs(v);
    if (vMax == 0) {
      List<NDArray> zeros = new ArrayList<>();
      try (Autograd.Mode off = Autograd.recording(false)) {
        for (NDArray p : parameters) {
          NDArray zero = p.zerosLike().toType(DataType.FLOAT64, false);
          NDScope.unregister(zero);
          zeros.add(zero);
        }
      }
      return zeros;
    }
    double epsilon = relativeStep * rms(parameters) / vMax;
    List<NDArray> saved = save(parameters);
    try {
      return hessianVectorProduct(objective, saved, v, epsilon, batchSize, null);
    } finally {
      restore(parameters, saved);
      saved.forEach(NDArray::close);
      Autograd.zeroGradients(parameters);
    }
  }

  /**
   * Hv by finite differences of gradients at the weights {@code saved}, in float64, parameter
   * order: forward, (∇L(w0 + εv) − ∇L(w0)) / ε, when {@code base} holds ∇L(w0); central, (∇L(w0 +
   * εv) − ∇L(w0 − εv)) / 2ε, when it is null. The parameters are left perturbed (the caller
   * restores them). Not registered with a scope.
   */
  static List<NDArray> hessianVectorProduct(
      ProbeObjective objective,
      List<NDArray> saved,
      List<NDArray> v,
      double epsilon,
      int batchSize,
      List<NDArray> base) {
    List<NDArray> plus = gradientAt(objective, saved, v, epsilon, batchSize);
    List<NDArray> minus =
        base != null ? base : gradientAt(objective, saved, v, -epsilon, batchSize);
    double width = base != null ? epsilon : 2 * epsilon;
    List<NDArray> hv = new ArrayList<>();
    try (Autograd.Mode off = Autograd.recording(false)) {
      for (int t = 0; t < plus.size(); t++) {
        try (NDScope scope = new NDScope()) {
          NDArray product =
              plus.get(t)
                  .toType(DataType.FLOAT64, false)
                  .sub(minus.get(t).toType(DataType.FLOAT64, false))
                  .div(width);
          NDScope.unregister(product);
          hv.add(product);
        }
      }
    }
    plus.forEach(NDArray::close);
    if (base == null) {
      minus.forEach(NDArray::close);
    }
    return hv;
  }

  /** ∇L at w0 + step·v (the probe set's mean task loss, in batches), as detached copies. */
  private static List<NDArray> gradientAt(
      ProbeObjective objective, List<NDArray> saved, List<NDArray> v, double step, int batchSize) {
    Map<String, NDArray> parameters = objective.model().parameters().all();
    // the scope closes the step's temporaries (two weight-sized arrays per parameter), which
    // would otherwise stay in the parameters' manager until the model is closed
    try (NDScope scope = new NDScope();
        Autograd.Mode off = Autograd.recording(false)) {
      int t = 0;
      for (NDArray p : parameters.values()) {
        p.subi(p).addi(saved.get(t).add(v.get(t).mul((float) step)));
        t++;
      }
    }
    return GradientNorms.meanLossGradient(objective, batchSize);
  }

  /** Detached copies of the weights, not registered with a scope. */
  private static List<NDArray> save(Collection<NDArray> parameters) {
    List<NDArray> saved = new ArrayList<>();
    try (Autograd.Mode off = Autograd.recording(false)) {
      for (NDArray p : parameters) {
        NDArray copy = p.duplicate();
        NDScope.unregister(copy);
        saved.add(copy);
      }
    }
    return saved;
  }

  private static void restore(Iterable<NDArray> parameters, List<NDArray> saved) {
    try (Autograd.Mode off = Autograd.recording(false)) {
      int t = 0;
      for (NDArray p : parameters) {
        p.subi(p).addi(saved.get(t++));
      }
    }
  }

  private static NDArray rademacher(NDArray like, RandomStream signs) {
    int size = Math.toIntExact(like.getShape().size());
    float[] values = new float[size];
    long bits = 0;
    for (int i = 0; i < size; i++) {
      if ((i & 63) == 0) {
        bits = signs.nextLong();
      }
      values[i] = ((bits >>> (i & 63)) & 1L) == 0 ? 1f : -1f;
    }
    return like.getManager().create(values, like.getShape());
  }

  private static double maxAbs(List<NDArray> arrays) {
    double max = 0;
    try (NDScope scope = new NDScope();
        Autograd.Mode off = Autograd.recording(false)) {
      for (NDArray a : arrays) {
        if (a.getShape().size() > 0) {
          max = Math.max(max, a.abs().max().toType(DataType.FLOAT64, false).getDouble());
        }
      }
    }
    return max;
  }

  private static double rms(Collection<NDArray> arrays) {
    long count = arrays.stream().mapToLong(a -> a.getShape().size()).sum();
    return Math.sqrt(GradientNorms.squaredNorm(new ArrayList<>(arrays)) / count);
  }
}
