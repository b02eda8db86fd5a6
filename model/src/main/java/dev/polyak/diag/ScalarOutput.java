package dev.polyak.diag;

/** Which scalar of a probe sample the Jacobian rows differentiate (see {@link KernelKind}). */
public enum ScalarOutput {
  /**
   * The sample's own loss: cross-entropy of its class for an image, mean cross-entropy over its
   * masked positions for a token row (zero, with a zero gradient, for a row with none masked).
   */
  LOSS,
  /**
   * The logit of the true class for an image; the mean logit of the true token over the masked
   * positions for a token row.
   */
  TARGET_LOGIT,
  /**
   * The pseudo-NTK's scalar (Mohamadi et al., ICML 2023): the sum of the C output logits over √C
   * for an image; for a token row the mean over its masked positions of Σ_c logit_c / √V (V the
   * vocabulary size).
   */
  PNTK,
  /**
   * vᵀf for k Gaussian output vectors v (see {@link KernelKind#projections}): the output f is the
   * logit vector for an image and the mean logit vector over the masked positions for a token row.
   */
  PROJECTED;

  /**
   * Parses {@code loss}, {@code target-logit} or {@code pntk} (a projection needs its count: {@link
   * KernelKind#parse}).
   */
  public static ScalarOutput parse(String text) {
    return dev.polyak.EnumIds.find(
            ScalarOutput.class, text.trim().toLowerCase(java.util.Locale.ROOT).replace('_', '-'))
        .filter(output -> output != PROJECTED)
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "scalar output must be loss, target-logit or pntk, got '" + text + "'"));
  }

  /** The spelling the CLI and the records use: {@code target-logit} for {@code TARGET_LOGIT}. */
  public String id() {
    return dev.polyak.EnumIds.id(this);
  }
}
