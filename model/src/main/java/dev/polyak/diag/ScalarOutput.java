package dev.polyak.diag;

/** Which scalar of a probe sample the Jacobian rows differentiate. */
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
  TARGET_LOGIT;

  /** Parses {@code loss} or {@code target-logit}. */
  public static ScalarOutput parse(String text) {
    return switch (text.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "loss" -> LOSS;
      case "target-logit", "target_logit" -> TARGET_LOGIT;
      default -> throw new IllegalArgumentException("scalar output must be loss or target-logit, got '" + text + "'");
    };
  }
}
