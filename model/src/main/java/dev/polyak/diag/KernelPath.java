package dev.polyak.diag;

import java.util.Locale;

/**
 * How the Jacobian kernels get their per-probe gradient columns ({@link JacobianKernels}); every
 * path computes the same kernel, up to float32 rounding.
 *
 * <ul>
 *   <li>{@code per-sample} (the default, {@link #DEFAULT}): one backward pass per probe at batch
 *       one for every parameter.
 *   <li>{@code auto}: {@code factored} for the weights and biases of the linear layers the model
 *       shows its tap ({@link ActivationGradients}: BERT's and Switch's attention and BERT's
 *       feed-forward layers, an MLP's layers unless weight-masked), {@code per-sample} for every
 *       other parameter.
 *   <li>{@code factored}: as {@code auto}, but a structure with a parameter outside those layers (a
 *       Switch expert, a convolution filter) is an error rather than computed per sample.
 * </ul>
 *
 * <p>{@code per-sample} is the default, the path with the longest record, because {@code auto}
 * saves no time on BERT: the batched passes do the per-sample passes' arithmetic (3.59 s against
 * 3.52 s for all 16 heads of bert-small at n = 64, one thread, idle machine; docs/performance.md).
 */
public enum KernelPath {
  AUTO,
  FACTORED,
  PER_SAMPLE;

  /** The path used when none is asked for. */
  public static final KernelPath DEFAULT = PER_SAMPLE;

  /** What a kernel-path option accepts, for error messages. */
  public static final String ALLOWED = "auto, factored or per-sample";

  /** Parses {@code auto}, {@code factored} or {@code per-sample}. */
  public static KernelPath parse(String text) {
    return dev.polyak.EnumIds.find(
            KernelPath.class, text.trim().toLowerCase(Locale.ROOT).replace('_', '-'))
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "kernel_path must be " + ALLOWED + ", got '" + text + "'"));
  }

  /** The spelling the options use: {@code per-sample}. */
  public String id() {
    return dev.polyak.EnumIds.id(this);
  }
}
