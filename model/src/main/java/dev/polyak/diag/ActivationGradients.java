package dev.polyak.diag;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.Parameters;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Jacobian columns of linear layers' weights and biases from batched passes, without a backward
 * pass per probe. For a layer {@code y = x W + b} whose input rows belong to one sample each (x
 * [batch, T, in], T positions per sample), probe a's gradient of W is Σ_p x_{a,p}ᵀ g_{a,p} and of b
 * is Σ_p g_{a,p}, with g_{a,p} = ∂f_a / ∂y_{a,p}; so K[a, b] restricted to a slice of W is Σ_{p,q}
 * (x_{a,p} · x_{b,q})(g_{a,p} · g_{b,q}) over the slice's rows and columns. One forward pass of a
 * batch, with the model's {@link Parameters.LinearTap} keeping each layer's input and adding a zero
 * with a gradient to its output, and one backward pass of Σ_a f_a give every x and g of the batch,
 * since f_a depends on sample a's rows only.
 *
 * <p>With T positions per sample, forming the gradient X_aᵀ G_a (T · in · out multiply-adds per
 * sample) and then its Gram products (in · out per pair) costs less than the factored sum (T² (in +
 * out) per pair) unless T is about 1, so the gradients are formed, on the engine, batch by batch,
 * into the same float32 columns the per-sample path fills; the Gram products are then shared.
 */
final class ActivationGradients {
  /** Probes per batched pass (the diagnostics' batch: memory like the Hessian trace's batches). */
  static final int BATCH = DiagnosticsOptions.DEFAULT_BATCH_SIZE;

  /**
   * Which tensors the activation path fills, and whether the objective has a batched form.
   *
   * @param tensors weights and biases of the linear layers the model's tap saw exactly once in a
   *     forward pass
   * @param batched whether {@link ProbeObjective#outputSum} exists (else one probe per pass)
   */
  record Plan(Set<String> tensors, boolean batched) {}

  /** A tapped layer of one pass: its input (detached) and the zero added to its output. */
  private record Capture(String weight, String bias, NDArray input, NDArray zero) {}

  private ActivationGradients() {}

  /** Runs the first probes forward once (no gradients) to see which linear layers the tap sees. */
  static Plan plan(ProbeObjective objective) {
    Parameters parameters = objective.model().parameters();
    Map<String, Integer> calls = new HashMap<>();
    Set<String> seen = new LinkedHashSet<>();
    parameters.setLinearTap(
        (weight, bias, input, output) -> {
          for (String name : new String[] {weight, bias}) {
            calls.merge(name, 1, Integer::sum);
            seen.add(name);
          }
          return output;
        });
    boolean batched;
    try (NDScope scope = new NDScope();
        Autograd.Mode off = Autograd.recording(false)) {
      batched = objective.outputSum(0, Math.min(2, objective.size()), 0) != null;
      if (!batched) {
        objective.output(0, 0);
      }
    } finally {
      parameters.setLinearTap(null);
    }
    Set<String> tensors = new LinkedHashSet<>();
    for (String name : seen) {
      if (calls.get(name) == 1) {
        tensors.add(name);
      }
    }
    return new Plan(tensors, batched);
  }

  /**
   * Fills {@code columns} (one [elements, n] array per chunk of the pass, all chunks tensors of
   * {@link Plan#tensors}) with the probes' gradients of scalar j; parameters must not require
   * gradients.
   */
  static void fill(
      ProbeObjective objective,
      Plan plan,
      int j,
      List<JacobianKernels.Chunk> pass,
      List<NDArray> columns,
      int attempts) {
    int n = objective.size();
    int batch = plan.batched() ? BATCH : 1;
    for (int from = 0; from < n; from += batch) {
      int to = Math.min(n, from + batch);
      for (int attempt = 1; !fillBatch(objective, plan, j, from, to, pass, columns); attempt++) {
        if (attempt == attempts) {
          throw new ArithmeticException(
              "probes "
                  + from
                  + ".."
                  + (to - 1)
                  + ": the output gradients are not finite in "
                  + attempts
                  + " attempts: the model's output or its gradient overflows at these weights");
        }
      }
    }
  }

  /** One batch's columns; false, to be redone, when an entry is not finite. */
  private static boolean fillBatch(
      ProbeObjective objective,
      Plan plan,
      int j,
      int from,
      int to,
      List<JacobianKernels.Chunk> pass,
      List<NDArray> columns) {
    Parameters parameters = objective.model().parameters();
    Set<String> wanted = new LinkedHashSet<>();
    pass.forEach(c -> wanted.add(c.parameter()));
    Map<String, Capture> captures = new HashMap<>();
    long size = to - from;
    try (NDScope scope = new NDScope()) {
      parameters.setLinearTap(
          (weight, bias, input, output) -> {
            if (!wanted.contains(weight) && !wanted.contains(bias)) {
              return output;
            }
            // at batch one every row is the probe's, whatever the layer's rows are (a Switch
            // expert's routed tokens)
            if (plan.batched() && input.getShape().get(0) != size) {
              throw new IllegalStateException(
                  "linear layer "
                      + weight
                      + " has input of shape "
                      + input.getShape()
                      + ", whose first axis is not the batch of "
                      + size);
            }
            NDArray zero = output.zerosLike();
            zero.setRequiresGradient(true);
            Capture c = new Capture(weight, bias, input.stopGradient(), zero);
            captures.put(weight, c);
            captures.put(bias, c);
            return output.add(zero);
          });
      try (Autograd.Mode on = Autograd.recording(true)) {
        NDArray sum = plan.batched() ? objective.outputSum(from, to, j) : objective.output(from, j);
        if (!captures.isEmpty()) { // else no tapped layer ran (an expert no token reached)
          Autograd.backward(sum);
        }
      } finally {
        parameters.setLinearTap(null);
      }
      try (Autograd.Mode off = Autograd.recording(false)) {
        double check = 0;
        for (int k = 0; k < pass.size(); k++) {
          JacobianKernels.Chunk c = pass.get(k);
          Capture capture = captures.get(c.parameter());
          if (capture == null) {
            // the layer did not run for these probes (an expert no token was routed to): a
            // parameter used nowhere else then has a zero gradient
            columns.get(k).set(new NDIndex(":, {}:{}", from, to), 0f);
            continue;
          }
          NDArray input = capture.input();
          NDArray gradient = capture.zero().getGradient();
          long in = input.getShape().get(input.getShape().dimension() - 1);
          long out = gradient.getShape().get(gradient.getShape().dimension() - 1);
          NDArray g = gradient.reshape(size, -1, out);
          NDArray rows;
          if (c.parameter().equals(capture.weight())) {
            NDArray x =
                input.reshape(size, -1, in).get(new NDIndex(":, :, {}:{}", c.from(), c.to()));
            rows = x.transpose(0, 2, 1).matMul(g).reshape(size, -1);
          } else {
            rows = g.sum(new int[] {1}).get(new NDIndex(":, {}:{}", c.from(), c.to()));
          }
          check += rows.sum().getFloat();
          columns.get(k).set(new NDIndex(":, {}:{}", from, to), rows.transpose());
        }
        return Double.isFinite(check);
      }
    }
  }
}
