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
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * The smoothness constant β of the probe set's mean task loss: the eigenvalue of largest magnitude
 * of its Hessian, from Hessian-vector products (Hv is {@link
 * HessianTrace#hessianVectorProduct(ProbeObjective, List, double, int)}: central differences of
 * gradients over all probes, two gradient passes each). Two methods, both from the same start:
 *
 * <ul>
 *   <li>{@link Method#LANCZOS} (default): the Lanczos recurrence q_{k+1} b_k = Hq_k − a_k q_k −
 *       b_{k−1} q_{k−1} builds the tridiagonal T_k = Q_kᵀHQ_k; β is T_k's Ritz value θ of largest
 *       magnitude, and the iteration stops once its residual ‖Hy − θy‖ = b_k |s_k| (s_k the last
 *       entry of θ's unit eigenvector of T_k) is at most tol·|θ|, which puts an eigenvalue of H
 *       within tol·|θ| of θ. The Ritz value lies in the Krylov space of every power-iteration
 *       vector of the same start, so it is at least as close to the spectrum's edge after as many
 *       products, and converges with the square root of the gap where power iteration needs the gap
 *       itself. No reorthogonalisation (three vectors are kept): loss of orthogonality only repeats
 *       converged Ritz values (Paige), it does not move the extreme one.
 *   <li>{@link Method#POWER}: v ← Hv / ‖Hv‖, λ = vᵀHv (the Rayleigh quotient of the v before the
 *       update), stop when |λ_k − λ_{k−1}| ≤ tol·|λ_k|, as PyHessian computes it.
 * </ul>
 *
 * <p>Either stops after {@code maxIterations} products, reporting the last estimate as not
 * converged. Near a minimum, where the Hessian is close to positive semi-definite, the eigenvalue
 * of largest magnitude is the largest one; a negative result says the dominant curvature is
 * negative. Restricted to a structure, the vectors are kept to zero outside its scalars ({@link
 * Ownership}), giving the dominant eigenvalue of its diagonal block H_ii.
 *
 * <p>The Hessian-vector products come from float32 gradients, which put a floor near 1e-5 under the
 * power iteration's relative change and the Lanczos residual: a tolerance much below 1e-4 may run
 * to the cap (against a dense Hessian of a small MLP, HessianEigenvalueTest, β agrees to a relative
 * 1e-4 at tolerance 1e-4).
 *
 * <p>The start vector is Gaussian from the "smoothness" stream of the seed, one draw per scalar in
 * parameter order, so a fixed seed gives the same β in every process; a structure starts from that
 * vector restricted to its scalars.
 */
public final class HessianEigenvalue {
  /** How β's iteration builds its estimate from Hessian-vector products. */
  public enum Method {
    /**
     * Ritz values of the Lanczos tridiagonal, stopped on the residual (default), at 1e-2 by
     * default: an eigenvalue within 1 % of β is guaranteed, and the Ritz value itself is far closer
     * (within 6e-5 of the value at 1e-3 on a bert-small trained on WikiText-2, 5e-4 on the
     * untrained bench BERT, in 25–27 % fewer products: docs/performance.md).
     */
    LANCZOS("lanczos", 1e-2),
    /**
     * Power iteration, stopped on the Rayleigh quotient's relative change (PyHessian's), at
     * PyHessian's 1e-3 by default: the relative change bounds nothing, so a looser rule stops
     * further from β.
     */
    POWER("power", 1e-3);

    /** The allowed spellings, for messages. */
    public static final String ALLOWED = "lanczos or power";

    private final String id;
    private final double defaultTolerance;

    Method(String id, double defaultTolerance) {
      this.id = id;
      this.defaultTolerance = defaultTolerance;
    }

    public String id() {
      return id;
    }

    /** The tolerance used when none is given. */
    public double defaultTolerance() {
      return defaultTolerance;
    }

    /** The method spelled {@code text} (case-insensitive). */
    public static Method parse(String text) {
      for (Method m : values()) {
        if (m.id.equalsIgnoreCase(text.strip())) {
          return m;
        }
      }
      throw new IllegalArgumentException("beta method must be " + ALLOWED + ", got '" + text + "'");
    }
  }

  /**
   * How to iterate.
   *
   * @param tolerance Lanczos: the Ritz pair's residual relative to |θ|; power: the relative change
   *     of the Rayleigh quotient, below which the iteration stops
   * @param maxIterations the cap on Hessian-vector products; 0 skips β
   * @param perStructure also each structure's block β (one iteration per structure)
   * @param method Lanczos (default) or power iteration
   */
  public record Settings(double tolerance, int maxIterations, boolean perStructure, Method method)
      implements Serializable {
    /** The default method's default tolerance ({@link Method#defaultTolerance()}). */
    public static final double DEFAULT_TOLERANCE = Method.LANCZOS.defaultTolerance();

    public static final int DEFAULT_MAX_ITERATIONS = 100;

    public Settings {
      if (!(tolerance > 0) || maxIterations < 0) {
        throw new IllegalArgumentException(
            "beta's iteration needs tolerance > 0 and max iterations >= 0, got tolerance "
                + tolerance
                + ", max iterations "
                + maxIterations);
      }
      java.util.Objects.requireNonNull(method, "method");
    }

    /** Lanczos, the default method. */
    public Settings(double tolerance, int maxIterations, boolean perStructure) {
      this(tolerance, maxIterations, perStructure, Method.LANCZOS);
    }

    public static Settings defaults() {
      return defaults(Method.LANCZOS);
    }

    /** {@code method} at its own default tolerance, capped at the default. */
    public static Settings defaults(Method method) {
      return new Settings(method.defaultTolerance(), DEFAULT_MAX_ITERATIONS, false, method);
    }

    public Settings withMethod(Method m) {
      return new Settings(tolerance, maxIterations, perStructure, m);
    }

    public Settings withTolerance(double t) {
      return new Settings(t, maxIterations, perStructure, method);
    }
  }

  /**
   * @param eigenvalue β: the last Ritz value (Lanczos) or Rayleigh quotient vᵀHv (power)
   * @param iterations Hessian-vector products computed
   * @param converged whether the stopping rule held within the cap
   */
  public record Result(double eigenvalue, int iterations, boolean converged)
      implements Serializable {}

  /**
   * @param whole β of the whole Hessian
   * @param structures each structure's block β in the model's order; null unless asked for
   */
  public record Estimates(Result whole, Result[] structures) implements Serializable {}

  private HessianEigenvalue() {}

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
   * β's iteration from {@code start} by the settings' method, restricted to the scalars where
   * {@code mask} is 1 when it is non-null. A start vector that is zero there gives λ = 0 at once.
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
    HessianProduct product = q -> product(objective, q, mask, batchSize, relativeStep);
    return settings.method() == Method.LANCZOS
        ? lanczos(product, v, settings)
        : power(product, v, settings);
  }

  /** Hv, restricted to a mask; float64, not registered with a scope. */
  @FunctionalInterface
  interface HessianProduct {
    List<NDArray> times(List<NDArray> v);
  }

  private static List<NDArray> product(
      ProbeObjective objective,
      List<NDArray> v,
      List<NDArray> mask,
      int batchSize,
      double relativeStep) {
    List<NDArray> hv = HessianTrace.hessianVectorProduct(objective, v, relativeStep, batchSize);
    if (mask == null) {
      return hv;
    }
    List<NDArray> inside = multiply(hv, mask);
    hv.forEach(NDArray::close);
    return inside;
  }

  /** Power iteration from the unit vector {@code v} (closed here). */
  static Result power(HessianProduct h, List<NDArray> v, Settings settings) {
    double previous = Double.NaN;
    try {
      for (int k = 1; k <= settings.maxIterations(); k++) {
        List<NDArray> hv = h.times(v);
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
   * Lanczos from the unit vector {@code q} (closed here): after each product, the Ritz value of
   * largest magnitude of T_k and its residual b_k |s_k|; an exact zero b_k (an invariant subspace)
   * makes θ an eigenvalue.
   */
  static Result lanczos(HessianProduct h, List<NDArray> q, Settings settings) {
    List<NDArray> previous = null;
    double[] a = new double[settings.maxIterations()];
    double[] b = new double[settings.maxIterations()];
    double theta = Double.NaN;
    try {
      for (int k = 1; k <= settings.maxIterations(); k++) {
        List<NDArray> w = h.times(q);
        a[k - 1] = dot(w, q);
        List<NDArray> r = orthogonalized(w, a[k - 1], q, k > 1 ? b[k - 2] : 0, previous);
        w.forEach(NDArray::close);
        b[k - 1] = Math.sqrt(GradientNorms.squaredNorm(r));
        RitzValue ritz = RitzValue.dominant(a, b, k);
        theta = ritz.value();
        double residual = b[k - 1] * Math.abs(ritz.lastComponent());
        if (residual <= settings.tolerance() * Math.abs(theta)) {
          r.forEach(NDArray::close);
          return new Result(theta, k, true);
        }
        List<NDArray> next = normalized(r);
        r.forEach(NDArray::close);
        if (previous != null) {
          previous.forEach(NDArray::close);
        }
        previous = q;
        q = next;
        if (next == null) {
          return new Result(theta, k, true);
        }
      }
      return new Result(theta, settings.maxIterations(), false);
    } finally {
      if (q != null) {
        q.forEach(NDArray::close);
      }
      if (previous != null) {
        previous.forEach(NDArray::close);
      }
    }
  }

  /** w − a·q − b·previous in float64 (previous may be null), not registered with a scope. */
  private static List<NDArray> orthogonalized(
      List<NDArray> w, double a, List<NDArray> q, double b, List<NDArray> previous) {
    List<NDArray> out = new ArrayList<>();
    try (Autograd.Mode off = Autograd.recording(false)) {
      for (int t = 0; t < w.size(); t++) {
        try (NDScope scope = new NDScope()) {
          NDArray r =
              w.get(t)
                  .toType(DataType.FLOAT64, false)
                  .sub(q.get(t).toType(DataType.FLOAT64, false).mul(a));
          if (previous != null) {
            r = r.sub(previous.get(t).toType(DataType.FLOAT64, false).mul(b));
          }
          NDScope.unregister(r);
          out.add(r);
        }
      }
    }
    return out;
  }

  /**
   * The eigenvalue of largest magnitude of the k × k symmetric tridiagonal matrix with diagonal
   * a[0..k) and off-diagonal b[0..k−1), with the last entry of its unit eigenvector.
   */
  record RitzValue(double value, double lastComponent) {
    static RitzValue dominant(double[] a, double[] b, int k) {
      DMatrixRMaj t = new DMatrixRMaj(k, k);
      for (int i = 0; i < k; i++) {
        t.set(i, i, a[i]);
        if (i + 1 < k) {
          t.set(i, i + 1, b[i]);
          t.set(i + 1, i, b[i]);
        }
      }
      EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(k, true, true);
      if (!eig.decompose(t)) {
        throw new IllegalStateException(
            "the Lanczos tridiagonal of size " + k + " did not decompose");
      }
      int best = 0;
      for (int i = 1; i < k; i++) {
        if (Math.abs(eig.getEigenvalue(i).getReal())
            > Math.abs(eig.getEigenvalue(best).getReal())) {
          best = i;
        }
      }
      DMatrixRMaj vector = eig.getEigenVector(best);
      double norm = 0;
      for (int i = 0; i < k; i++) {
        norm += vector.get(i) * vector.get(i);
      }
      return new RitzValue(eig.getEigenvalue(best).getReal(), vector.get(k - 1) / Math.sqrt(norm));
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
        // the scope closes b's converted copy when the types differ
        try (NDScope scope = new NDScope()) {
          NDArray product = a.get(t).mul(b.get(t).toType(a.get(t).getDataType(), false));
          NDScope.unregister(product);
          out.add(product);
        }
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
