package dev.polyak.diag;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.MaskedModel;
import dev.polyak.nn.Structure;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Empirical neural tangent kernels per structure: with J the n × P Jacobian of the probe outputs
 * f_1..f_n with respect to the trainable parameters, and J_i its columns that belong to structure i
 * ({@link Ownership}), K_i = J_i J_iᵀ, and K_rest from the columns no structure owns, so that Σ_i
 * K_i + K_rest = J Jᵀ = K.
 *
 * <p>Rows of J are per-sample gradients: each probe is run alone (forward and backward at batch
 * one). No n × P matrix is held: the parameters are cut into chunks (whole tensors, or row ranges
 * of a tensor larger than the budget) and the chunks into passes whose float32 Jacobian columns, n
 * × (chunk sizes), fit {@code memoryBudgetBytes}; every pass runs the n per-sample backward passes
 * with gradients switched on for its tensors only. Gram products are formed in float64 on blocks of
 * columns, owner by owner, and summed on the host in a fixed order, so a fixed probe set and fixed
 * weights give bitwise identical kernels. With m scalars per probe ({@code projected:k}) every pass
 * runs m rounds, K_i = (1/m) Σ_j J_{i,j} J_{i,j}ᵀ.
 *
 * <p>With {@link KernelPath#AUTO} (not the default) the columns of the weights and biases of linear
 * layers come from batched passes instead ({@link ActivationGradients}): each layer's input and
 * output gradient give every probe's gradient without a backward pass per probe. Those tensors get
 * passes of their own, planned the same way and run first.
 */
public final class JacobianKernels {
  /** Default bound on the float32 Jacobian columns held at once. */
  public static final long DEFAULT_MEMORY_BUDGET = 512L << 20;

  private static final long GRAM_BLOCK_BYTES = 64L << 20;
  private static final int MAX_ATTEMPTS = 3;
  private static final Logger LOG = LoggerFactory.getLogger(JacobianKernels.class);

  /**
   * The kernels.
   *
   * @param structureKernels row-major n × n per structure, in the model's structure order; null for
   *     a structure that was not computed
   * @param rest the kernel of the parameters outside every structure; null unless asked for
   * @param structureParameters the number of scalars each computed structure owns
   * @param restParameters the number of scalars outside every structure (when the rest was
   *     computed)
   * @param passes how many times the n per-sample gradients were computed
   */
  public record Kernels(
      int n,
      double[][] structureKernels,
      double[] rest,
      long[] structureParameters,
      long restParameters,
      int passes) {
    /**
     * K = K_rest + Σ_i K_i in structure order; only when every structure and the rest were
     * computed.
     */
    public double[] whole() {
      if (rest == null || java.util.Arrays.stream(structureKernels).anyMatch(k -> k == null)) {
        throw new IllegalStateException(
            "the whole-model kernel needs every structure's kernel and the rest's");
      }
      return sum(rest, java.util.Arrays.asList(structureKernels));
    }
  }

  /**
   * rest + Σ kernels, added in list order (the order decides the rounding, so callers share it).
   */
  public static double[] sum(double[] rest, List<double[]> kernels) {
    double[] sum = rest.clone();
    for (double[] k : kernels) {
      for (int e = 0; e < sum.length; e++) {
        sum[e] += k[e];
      }
    }
    return sum;
  }

  record Chunk(String parameter, long from, long to, long elements) {}

  private JacobianKernels() {}

  /**
   * Computes the kernels of the structures that {@code selected} accepts (by index in {@code
   * model.structures()}) and, with {@code rest}, the kernel of the scalars no structure owns. With
   * every structure selected and the rest, {@link Kernels#whole()} is the whole-model kernel.
   */
  public static Kernels compute(
      ProbeObjective objective, IntPredicate selected, boolean rest, long memoryBudgetBytes) {
    return compute(objective, selected, rest, memoryBudgetBytes, KernelPath.DEFAULT);
  }

  /**
   * As {@link #compute(ProbeObjective, IntPredicate, boolean, long)}, the columns of each parameter
   * filled as {@code path} says ({@link KernelPath}).
   *
   * @throws IllegalArgumentException for {@link KernelPath#FACTORED} when a selected structure owns
   *     a parameter the activation path cannot fill
   */
  public static Kernels compute(
      ProbeObjective objective,
      IntPredicate selected,
      boolean rest,
      long memoryBudgetBytes,
      KernelPath path) {
    MaskedModel model = objective.model();
    List<Structure> structures = model.structures();
    Ownership ownership = new Ownership(model.parameters(), structures);
    int n = objective.size();
    int count = structures.size();
    boolean[] wanted = new boolean[count];
    Set<String> tensors = new LinkedHashSet<>();
    for (int s = 0; s < count; s++) {
      wanted[s] = selected.test(s);
      if (wanted[s]) {
        structures.get(s).slices().forEach(slice -> tensors.add(slice.parameter()));
      }
    }
    Map<String, NDArray> parameters = model.parameters().all();
    if (rest) {
      for (String name : parameters.keySet()) {
        if (ownership.hasRest(name)) {
          tensors.add(name);
        }
      }
    }
    ActivationGradients.Plan activation =
        path == KernelPath.PER_SAMPLE
            ? new ActivationGradients.Plan(Set.of(), false)
            : ActivationGradients.plan(objective);
    if (path == KernelPath.FACTORED) {
      for (int s = 0; s < count; s++) {
        for (Structure.Slice slice :
            wanted[s] ? structures.get(s).slices() : List.<Structure.Slice>of()) {
          if (!activation.tensors().contains(slice.parameter())) {
            throw new IllegalArgumentException(
                "kernel_path factored: structure "
                    + structures.get(s).id()
                    + " owns part of "
                    + slice.parameter()
                    + ", which is not the weight or bias of a linear layer the activation path"
                    + " sees; use kernel_path auto or per-sample");
          }
        }
      }
    }
    Set<String> perSample = new LinkedHashSet<>(tensors);
    perSample.removeAll(activation.tensors());
    Set<String> activated = new LinkedHashSet<>(tensors);
    activated.retainAll(activation.tensors());
    List<List<Chunk>> passes = plan(parameters, activated, n, memoryBudgetBytes);
    int activationPasses = passes.size();
    passes.addAll(plan(parameters, perSample, n, memoryBudgetBytes));
    double[][] kernels = new double[count][];
    long[] owned = new long[count];
    for (int s = 0; s < count; s++) {
      kernels[s] = wanted[s] ? new double[n * n] : null;
    }
    double[] restKernel = rest ? new double[n * n] : null;
    long[] restCount = {0};
    model.evaluation();
    try {
      for (int p = 0; p < passes.size(); p++) {
        runPass(
            objective,
            p < activationPasses ? activation : null,
            passes.get(p),
            ownership,
            kernels,
            owned,
            restKernel,
            restCount);
      }
    } finally {
      for (NDArray p : parameters.values()) {
        p.setRequiresGradient(true);
      }
      Autograd.zeroGradients(parameters.values());
    }
    return new Kernels(n, kernels, restKernel, owned, restCount[0], passes.size());
  }

  /** Cuts the tensors into chunks of at most the budget and packs them, in order, into passes. */
  static List<List<Chunk>> plan(
      Map<String, NDArray> parameters, Set<String> tensors, int n, long budget) {
    long perElement = 4L * n;
    long maxElements = Math.max(1, budget / perElement);
    List<List<Chunk>> passes = new ArrayList<>();
    List<Chunk> current = new ArrayList<>();
    long used = 0;
    for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
      if (!tensors.contains(e.getKey())) {
        continue;
      }
      long[] dims = e.getValue().getShape().getShape();
      long rows = dims.length == 0 ? 1 : dims[0];
      long rowSize = Ownership.rowSize(dims);
      long rowsPerChunk = Math.max(1, maxElements / rowSize);
      for (long from = 0; from < rows; from += rowsPerChunk) {
        long to = Math.min(rows, from + rowsPerChunk);
        long elements = (to - from) * rowSize;
        if (used + elements > maxElements && !current.isEmpty()) {
          passes.add(current);
          current = new ArrayList<>();
          used = 0;
        }
        current.add(new Chunk(e.getKey(), from, to, elements));
        used += elements;
      }
    }
    if (!current.isEmpty()) {
      passes.add(current);
    }
    return passes;
  }

  /**
   * One pass: its chunks' columns, filled by the activation path ({@code activation} non-null) or
   * by a backward pass per probe, and their Gram matrices.
   */
  private static void runPass(
      ProbeObjective objective,
      ActivationGradients.Plan activation,
      List<Chunk> pass,
      Ownership ownership,
      double[][] kernels,
      long[] owned,
      double[] rest,
      long[] restCount) {
    MaskedModel model = objective.model();
    Map<String, NDArray> parameters = model.parameters().all();
    Set<String> inPass = new LinkedHashSet<>();
    pass.forEach(c -> inPass.add(c.parameter()));
    for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
      e.getValue().setRequiresGradient(activation == null && inPass.contains(e.getKey()));
    }
    int n = objective.size();
    NDManager manager = parameters.values().iterator().next().getManager().newSubManager();
    try (manager) {
      // columns[c] is [elements, n]: column b holds probe b's gradient of the chunk, flattened
      List<NDArray> columns = new ArrayList<>();
      for (Chunk c : pass) {
        columns.add(manager.zeros(new Shape(c.elements(), n), DataType.FLOAT32));
      }
      int outputs = objective.outputsPerProbe();
      for (int j = 0; j < outputs; j++) {
        if (activation != null) {
          ActivationGradients.fill(objective, activation, j, pass, columns, MAX_ATTEMPTS);
          addGrams(pass, columns, ownership, kernels, rest, 1.0 / outputs);
          continue;
        }
        for (int b = 0; b < n; b++) {
          for (int attempt = 1; !gradientRow(objective, b, j, pass, inPass, columns); attempt++) {
            if (attempt == MAX_ATTEMPTS) {
              throw new ArithmeticException(
                  "probe "
                      + b
                      + "'s gradient is not finite in "
                      + MAX_ATTEMPTS
                      + " attempts: the model's output or its gradient overflows at these weights");
            }
            LOG.warn(
                "probe {}'s gradient had a non-finite entry; computing it again (attempt {})",
                b,
                attempt + 1);
          }
        }
        addGrams(pass, columns, ownership, kernels, rest, 1.0 / outputs);
      }
      countOwned(pass, ownership, owned, restCount);
    }
  }

  /** Adds {@code scale} times the Gram matrices of the pass's columns to their owners' kernels. */
  private static void addGrams(
      List<Chunk> pass,
      List<NDArray> columns,
      Ownership ownership,
      double[][] kernels,
      double[] rest,
      double scale) {
    int n = (int) columns.get(0).getShape().get(1);
    try (Autograd.Mode off = Autograd.recording(false)) {
      for (int k = 0; k < pass.size(); k++) {
        Chunk c = pass.get(k);
        long[][] groups =
            Ownership.group(
                ownership.owners(c.parameter(), c.from(), c.to()), ownership.structureCount());
        for (int g = 0; g < groups.length; g++) {
          double[] target = g == ownership.structureCount() ? rest : kernels[g];
          if (groups[g].length > 0 && target != null) {
            addGram(
                columns.get(k),
                groups[g].length == c.elements() ? null : groups[g],
                n,
                target,
                scale);
          }
        }
      }
    }
  }

  /** Counts the pass's scalars per owner (the rest last). */
  private static void countOwned(
      List<Chunk> pass, Ownership ownership, long[] owned, long[] restCount) {
    for (Chunk c : pass) {
      long[][] groups =
          Ownership.group(
              ownership.owners(c.parameter(), c.from(), c.to()), ownership.structureCount());
      for (int g = 0; g < groups.length; g++) {
        if (g == ownership.structureCount()) {
          restCount[0] += groups[g].length;
        } else {
          owned[g] += groups[g].length;
        }
      }
    }
  }

  /**
   * Probe b's gradient of the pass's chunks into column b; false, leaving the column to be
   * overwritten, when an entry is not finite. The engine has been seen to produce a NaN gradient
   * for one probe, once, on the first pass after training in a fresh process, and then never again
   * for the same weights: recomputing is the remedy, a finite loss with a NaN gradient that
   * persists is an error.
   */
  private static boolean gradientRow(
      ProbeObjective objective,
      int b,
      int j,
      List<Chunk> pass,
      Set<String> inPass,
      List<NDArray> columns) {
    Map<String, NDArray> parameters = objective.model().parameters().all();
    for (String name : inPass) {
      JniUtils.zeroGrad((PtNDArray) parameters.get(name));
    }
    try (NDScope scope = new NDScope()) {
      boolean used;
      try (Autograd.Mode on = Autograd.recording(true)) {
        NDArray output = objective.output(b, j);
        // no graph to the pass's tensors (a Switch expert no token of this probe reached): the
        // gradient is zero, and the engine refuses the backward pass
        used = true;
        try {
          Autograd.backward(output);
        } catch (ai.djl.engine.EngineException e) {
          if (!String.valueOf(e.getMessage()).contains("does not require grad")) {
            throw e;
          }
          used = false;
        }
      }
      try (Autograd.Mode off = Autograd.recording(false)) {
        double check = 0;
        for (int k = 0; k < pass.size(); k++) {
          Chunk c = pass.get(k);
          NDArray gradient = parameters.get(c.parameter()).getGradient();
          if (!used) {
            gradient = gradient.zerosLike();
          }
          NDArray rows =
              gradient.getShape().dimension() == 0
                  ? gradient
                  : gradient.get(new NDIndex("{}:{}", c.from(), c.to()));
          check += rows.sum().getFloat();
          columns.get(k).set(new NDIndex(":, {}", b), rows.flatten());
        }
        return Double.isFinite(check);
      }
    }
  }

  /**
   * target += scale Xᵀ X in float64, X the rows {@code rows} of {@code columns} (all rows when
   * null).
   */
  private static void addGram(NDArray columns, long[] rows, int n, double[] target, double scale) {
    long total = rows == null ? columns.getShape().get(0) : rows.length;
    long block = Math.max(1, GRAM_BLOCK_BYTES / (8L * n));
    for (long from = 0; from < total; from += block) {
      long to = Math.min(total, from + block);
      try (NDScope scope = new NDScope()) {
        NDArray x;
        if (rows == null) {
          x = columns.get(new NDIndex("{}:{}", from, to));
        } else {
          long[] index = java.util.Arrays.copyOfRange(rows, (int) from, (int) to);
          x = columns.get(new NDIndex("{}", columns.getManager().create(index)));
        }
        NDArray wide = x.toType(DataType.FLOAT64, false);
        double[] gram = wide.transpose().matMul(wide).toDoubleArray();
        for (int e = 0; e < gram.length; e++) {
          target[e] += scale * gram[e];
        }
      }
    }
  }
}
