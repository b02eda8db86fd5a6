package dev.polyak.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.polyak.data.read.CifarAugment;
import dev.polyak.data.read.ImageDataset;
import dev.polyak.diag.DiagnosticRecords;
import dev.polyak.diag.Diagnostics;
import dev.polyak.diag.DiagnosticsOptions;
import dev.polyak.diag.DiagnosticsReport;
import dev.polyak.diag.JacobianKernels;
import dev.polyak.diag.KernelKind;
import dev.polyak.nn.Autograd;
import dev.polyak.nn.MaskedModel;
import dev.polyak.nn.Mlp;
import dev.polyak.nn.Structure;
import dev.polyak.random.RandomStreams;
import dev.polyak.schemas.DiagnosticRecord;
import dev.polyak.testing.ToyImages;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The function-space kernels ({@link KernelKind}) a trainer's probes give, against closed forms for
 * a linear model and against the full per-output Jacobian of a small MLP computed here by one
 * backward pass per (sample, output).
 */
class FunctionSpaceKernelsTest {
  private static final long SEED = 17;
  private static final int CLASSES = 10;

  /**
   * Labels are i % 10: these repeat labels 0, 1 and 2, so target-logit has off-diagonal entries.
   */
  private static final int[] SAMPLES = {0, 1, 10, 11, 20, 2, 12, 3};

  @BeforeAll
  static void engine() {
    Autograd.ensureEngine();
  }

  @Test
  void linearModelKernelsAreTheirClosedForms() {
    ImageDataset data = ToyImages.random(5, 24);
    try (ClassificationTrainer trainer = trainer(data, new int[0])) {
      int n = SAMPLES.length;
      double[][] x = inputs(data);
      double[] gram = new double[n * n];
      for (int a = 0; a < n; a++) {
        for (int b = 0; b < n; b++) {
          gram[a * n + b] = dot(x[a], x[b]) + 1;
        }
      }
      // f_c = w_cᵀx + b_c: ∇(Σ_c f_c / √C) = (x ⊗ 1_C, 1_C) / √C, so pNTK(x, x') = xᵀx' + 1
      assertClose(whole(trainer, KernelKind.PNTK), gram, 1e-5, "pntk");
      double[] target = gram.clone();
      for (int a = 0; a < n; a++) {
        for (int b = 0; b < n; b++) {
          target[a * n + b] *= label(data, a) == label(data, b) ? 1 : 0;
        }
      }
      assertClose(whole(trainer, KernelKind.TARGET_LOGIT), target, 1e-5, "target-logit");
      // vᵀf has gradient (x vᵀ, v): each projection's Gram is ‖v‖² (xᵀx' + 1), the trace-NTK C
      // (xᵀx' + 1)
      int k = 64;
      double[] projected = whole(trainer, KernelKind.projected(k));
      double norms = 0;
      for (float[] v : projections(k)) {
        norms += dot(v, v) / k;
      }
      double[] scaled = gram.clone();
      for (int e = 0; e < scaled.length; e++) {
        scaled[e] *= norms;
      }
      assertClose(projected, scaled, 1e-5, "projected:64");
      // ‖v‖² is χ²_C: mean C, variance 2C
      assertThat(norms).isCloseTo(CLASSES, within(3 * Math.sqrt(2.0 * CLASSES / k)));
    }
  }

  @Test
  void mlpKernelsMatchTheFullJacobianPerStructureForEveryKind() {
    ImageDataset data = ToyImages.random(6, 24);
    try (ClassificationTrainer trainer = trainer(data, new int[] {6})) {
      MaskedModel model = trainer.model();
      Jacobian jacobian = Jacobian.of(model, inputs(data));
      int n = SAMPLES.length;
      int[] labels = new int[n];
      for (int b = 0; b < n; b++) {
        labels[b] = label(data, b);
      }
      float[][] v = projections(8);
      List<KernelKind> kinds =
          List.of(
              KernelKind.PNTK, KernelKind.TARGET_LOGIT, KernelKind.projected(8), KernelKind.LOSS);
      for (KernelKind kind : kinds) {
        // each probe's gradient rows and their weights: the kernel is Σ_j weight J_j J_jᵀ
        double[][][] rows = new double[n][][];
        for (int b = 0; b < n; b++) {
          rows[b] = jacobian.scalarGradients(b, kind, labels[b], v);
        }
        JacobianKernels.Kernels kernels =
            JacobianKernels.compute(trainer.probes(SAMPLES, kind), s -> true, true, 1 << 16);
        double scale = 1.0 / rows[0].length;
        List<Structure> structures = model.structures();
        boolean[] owned = new boolean[jacobian.size()];
        for (int s = 0; s < structures.size(); s++) {
          boolean[] in = jacobian.slices(structures.get(s));
          for (int i = 0; i < in.length; i++) {
            owned[i] |= in[i];
          }
          assertClose(
              kernels.structureKernels()[s],
              gram(rows, in, scale),
              1e-5,
              kind + " " + structures.get(s).id());
        }
        boolean[] rest = new boolean[owned.length];
        boolean[] all = new boolean[owned.length];
        for (int i = 0; i < owned.length; i++) {
          rest[i] = !owned[i];
          all[i] = true;
        }
        assertClose(kernels.rest(), gram(rows, rest, scale), 1e-5, kind + " rest");
        assertClose(kernels.whole(), gram(rows, all, scale), 1e-5, kind + " Σ K_i + K_rest");
      }
    }
  }

  @Test
  void projectedKernelEstimatesTheTraceNtkWithErrorFallingAsOneOverRootK() {
    ImageDataset data = ToyImages.random(7, 24);
    try (ClassificationTrainer trainer = trainer(data, new int[] {6})) {
      Jacobian jacobian = Jacobian.of(trainer.model(), inputs(data));
      int n = SAMPLES.length;
      double[] trace = new double[n * n];
      // Var(vᵀMv) = Σ_cc' M_cc' (M_cc' + M_c'c) for v ~ N(0, I), M = J_a J_bᵀ (C × C)
      double variance = 0;
      for (int a = 0; a < n; a++) {
        for (int b = 0; b < n; b++) {
          double[][] m = new double[CLASSES][CLASSES];
          for (int c = 0; c < CLASSES; c++) {
            for (int d = 0; d < CLASSES; d++) {
              m[c][d] = dot(jacobian.rows[a][c], jacobian.rows[b][d]);
            }
            trace[a * n + b] += m[c][c];
          }
          for (int c = 0; c < CLASSES; c++) {
            for (int d = 0; d < CLASSES; d++) {
              variance += m[c][d] * (m[c][d] + m[d][c]);
            }
          }
        }
      }
      double[] errors = new double[3];
      int[] ks = {4, 16, 64};
      for (int i = 0; i < ks.length; i++) {
        double[] estimate = whole(trainer, KernelKind.projected(ks[i]));
        double squared = 0;
        for (int e = 0; e < trace.length; e++) {
          squared += (estimate[e] - trace[e]) * (estimate[e] - trace[e]);
        }
        errors[i] = Math.sqrt(squared);
        double standardError = Math.sqrt(variance / ks[i]);
        assertThat(errors[i])
            .as("‖K_%d − trace-NTK‖_F against its standard error %g", ks[i], standardError)
            .isLessThan(3 * standardError);
      }
      // ×16 the projections: the error should shrink about 4-fold
      assertThat(errors[2])
          .as("error at k = 64 (%g) against k = 4 (%g)", errors[2], errors[0])
          .isLessThan(errors[0] / 2);
    }
  }

  @Test
  void reluNeuronsAreActiveOnTheProbesWhereTheirPreActivationIsPositive() {
    ImageDataset data = ToyImages.random(8, 24);
    try (ClassificationTrainer trainer = trainer(data, new int[] {6})) {
      MaskedModel model = trainer.model();
      double[][] x = inputs(data);
      float[] w0 = model.parameters().get("w0").toFloatArray();
      float[] b0 = model.parameters().get("b0").toFloatArray();
      DiagnosticsOptions options =
          DiagnosticsOptions.defaults()
              .withProbeSamples(SAMPLES.length)
              .withHutchinsonProbes(0)
              .withActiveProbes(true);
      DiagnosticsReport report =
          Diagnostics.run(trainer.probes(SAMPLES, KernelKind.PNTK), SAMPLES, 0, SEED, options);
      DiagnosticsReport all =
          Diagnostics.run(
              trainer.probes(SAMPLES, KernelKind.PNTK),
              SAMPLES,
              0,
              SEED,
              options.withActiveProbes(false));
      int partial = 0;
      for (int j = 0; j < 6; j++) {
        int active = 0;
        for (double[] sample : x) {
          double z = b0[j];
          for (int i = 0; i < sample.length; i++) {
            z += sample[i] * w0[i * 6 + j];
          }
          active += z > 0 ? 1 : 0;
        }
        DiagnosticsReport.StructureDiagnostics row = report.structures().get(j);
        assertThat(row.activeProbes()).as("neuron %d", j).isEqualTo(active);
        assertThat(all.structures().get(j).activeProbes()).isEqualTo(active);
        // over its active probes the kernel is m × m; over all n it is singular as soon as one is
        // off
        assertThat(row.spectrum().eigenvalues()).hasSize(active == 0 ? SAMPLES.length : active);
        if (active > 0 && active < SAMPLES.length) {
          partial++;
          assertThat(all.structures().get(j).spectrum().singular()).isTrue();
          assertThat(row.spectrum().singular())
              .as("neuron %d over its %d active probes", j, active)
              .isFalse();
        }
      }
      assertThat(partial).as("neurons active on some probes but not all").isPositive();
      List<DiagnosticRecord> records = DiagnosticRecords.of("run", "ckpt", report);
      assertThat(records.get(0).getActiveProbes())
          .isEqualTo(report.structures().get(0).activeProbes());
      assertThat(records.get(0).getActiveProbesOnly()).isTrue();
      assertThat(records.get(0).getKernel()).isEqualTo("pntk");
      assertThat(records.get(records.size() - 1).getActiveProbes()).isNull();
    }
  }

  /**
   * The full Jacobian of an image model on the probes: rows[b][c] = ∇ logit_c of probe b,
   * flattened.
   */
  private record Jacobian(double[][][] rows, double[][] probabilities, Map<String, long[]> shapes) {
    static Jacobian of(MaskedModel model, double[][] x) {
      model.evaluation();
      int n = x.length;
      double[][][] rows = new double[n][CLASSES][];
      double[][] probabilities = new double[n][];
      Map<String, long[]> shapes = new java.util.LinkedHashMap<>();
      model.parameters().all().forEach((name, p) -> shapes.put(name, p.getShape().getShape()));
      for (int b = 0; b < n; b++) {
        float[] pixels = new float[x[b].length];
        for (int i = 0; i < pixels.length; i++) {
          pixels[i] = (float) x[b][i];
        }
        for (int c = 0; c < CLASSES; c++) {
          Autograd.zeroGradients(model.parameters().arrays());
          try (NDScope scope = new NDScope()) {
            NDArray logits;
            try (Autograd.Mode on = Autograd.recording(true)) {
              logits =
                  model.forward(
                      model.parameters().manager().create(pixels, new Shape(1, 3, 32, 32)));
              Autograd.backward(logits.get(0, c));
            }
            if (c == 0) {
              probabilities[b] = toDouble(logits.softmax(1).toFloatArray());
            }
            List<Double> row = new ArrayList<>();
            for (NDArray p : model.parameters().all().values()) {
              for (float g : p.getGradient().toFloatArray()) {
                row.add((double) g);
              }
            }
            rows[b][c] = row.stream().mapToDouble(Double::doubleValue).toArray();
          }
        }
      }
      Autograd.zeroGradients(model.parameters().arrays());
      return new Jacobian(rows, probabilities, shapes);
    }

    int size() {
      return rows[0][0].length;
    }

    /**
     * Probe b's gradient rows of the kernel's scalars, by their definitions: Σ_c J_c / √C (pntk),
     * J_y (target-logit), v_jᵀ J for each j (projected), Σ_c (p_c − [c = y]) J_c (loss).
     */
    double[][] scalarGradients(int b, KernelKind kind, int label, float[][] v) {
      double[][] j = rows[b];
      return switch (kind.output()) {
        case PNTK -> new double[][] {combine(j, c -> 1 / Math.sqrt(CLASSES))};
        case TARGET_LOGIT -> new double[][] {j[label]};
        case LOSS -> new double[][] {combine(j, c -> probabilities[b][c] - (c == label ? 1 : 0))};
        case PROJECTED -> {
          double[][] out = new double[kind.projections()][];
          for (int p = 0; p < out.length; p++) {
            float[] vector = v[p];
            out[p] = combine(j, c -> vector[c]);
          }
          yield out;
        }
      };
    }

    private static double[] combine(double[][] j, java.util.function.IntToDoubleFunction weight) {
      double[] sum = new double[j[0].length];
      for (int c = 0; c < j.length; c++) {
        double w = weight.applyAsDouble(c);
        for (int i = 0; i < sum.length; i++) {
          sum[i] += w * j[c][i];
        }
      }
      return sum;
    }

    /**
     * Which flattened parameter entries structure {@code s} owns (an Mlp neuron's column, bias and
     * row).
     */
    boolean[] slices(Structure s) {
      boolean[] in = new boolean[size()];
      int offset = 0;
      for (Map.Entry<String, long[]> e : shapes.entrySet()) {
        long[] dims = e.getValue();
        int count = (int) java.util.Arrays.stream(dims).reduce(1, (p, q) -> p * q);
        for (Structure.Slice slice : s.slices()) {
          if (!slice.parameter().equals(e.getKey())) {
            continue;
          }
          for (int i = 0; i < count; i++) {
            long along = dims.length == 1 ? i : slice.axis() == 0 ? i / dims[1] : i % dims[1];
            if (along >= slice.from() && along < slice.to()) {
              in[offset + i] = true;
            }
          }
        }
        offset += count;
      }
      return in;
    }
  }

  /** Σ_j scale ⟨rows[a][j], rows[b][j]⟩ over the entries {@code in}. */
  private static double[] gram(double[][][] rows, boolean[] in, double scale) {
    int n = rows.length;
    double[] k = new double[n * n];
    for (int a = 0; a < n; a++) {
      for (int b = 0; b < n; b++) {
        double sum = 0;
        for (int j = 0; j < rows[a].length; j++) {
          for (int i = 0; i < in.length; i++) {
            if (in[i]) {
              sum += rows[a][j][i] * rows[b][j][i];
            }
          }
        }
        k[a * n + b] = scale * sum;
      }
    }
    return k;
  }

  private static ClassificationTrainer trainer(ImageDataset data, int[] hidden) {
    Mlp.Config config = new Mlp.Config(3 * 32 * 32, hidden, CLASSES);
    return new ClassificationTrainer(
        ToyImages.sgd(SEED, 1, 4, 0.01),
        data,
        data,
        (manager, streams) -> new Mlp(config, manager, streams.stream(RandomStreams.INIT)),
        ai.djl.Device.cpu());
  }

  private static double[] whole(Trainer trainer, KernelKind kind) {
    return JacobianKernels.compute(
            trainer.probes(SAMPLES, kind), s -> true, true, JacobianKernels.DEFAULT_MEMORY_BUDGET)
        .whole();
  }

  /** The probes' inputs as the trainer's probes see them: normalised, not augmented. */
  private static double[][] inputs(ImageDataset data) {
    double[][] x = new double[SAMPLES.length][];
    for (int b = 0; b < SAMPLES.length; b++) {
      x[b] =
          toDouble(
              CifarAugment.apply(data.images()[SAMPLES[b]], null, data.mean(), data.std(), false));
    }
    return x;
  }

  /**
   * v_1..v_k as {@link KernelKind#PROJECTION_STREAM} of the run seed gives them: C normals each, in
   * order.
   */
  private static float[][] projections(int k) {
    var stream = new RandomStreams(SEED).stream(KernelKind.PROJECTION_STREAM);
    float[][] v = new float[k][CLASSES];
    for (float[] vector : v) {
      for (int c = 0; c < CLASSES; c++) {
        vector[c] = (float) stream.nextGaussian();
      }
    }
    return v;
  }

  private static int label(ImageDataset data, int probe) {
    return data.labels()[SAMPLES[probe]];
  }

  private static double[] toDouble(float[] values) {
    double[] out = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }

  private static double dot(double[] a, double[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += a[i] * b[i];
    }
    return sum;
  }

  private static double dot(float[] a, float[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += (double) a[i] * b[i];
    }
    return sum;
  }

  /** Entry by entry within {@code relative} of the expected kernel's largest entry. */
  private static void assertClose(
      double[] actual, double[] expected, double relative, String what) {
    double scale = 0;
    for (double e : expected) {
      scale = Math.max(scale, Math.abs(e));
    }
    assertThat(actual).as(what).hasSameSizeAs(expected);
    for (int e = 0; e < expected.length; e++) {
      assertThat(actual[e])
          .as("%s entry %d", what, e)
          .isCloseTo(expected[e], within(relative * scale + 1e-30));
    }
  }
}
