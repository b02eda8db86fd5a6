package dev.polyak.diag;

import java.util.Locale;

/**
 * How the Jacobian kernels get their per-probe gradient columns ({@link JacobianKernels}); every
 * path computes the same kernel, up to float32 rounding.
 *
 * <ul>
 *   <li>{@code auto} (the default): {@code factored} for the weights and biases of the linear
 *       layers the model shows its tap ({@link ActivationGradients}: BERT's and Switch's attention
 *       and BERT's feed-forward layers, an MLP's layers unless weight-masked), {@code per-sample}
 *       for every other parameter.
 *   <li>{@code factored}: as {@code auto}, but a structure with a parameter outside those layers (a
 *       Switch expert, a convolution filter) is an error rather than computed per sample.
 *   <li>{@code per-sample}: one backward pass per probe at batch one for every parameter (the path
 *       polyak always took before).
 * </ul>
 */
public enum KernelPath {
  AUTO,
  FACTORED,
  PER_SAMPLE;

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
