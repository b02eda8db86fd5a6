package dev.polyak.diag;

import dev.polyak.nn.Structure;
import java.util.List;

/**
 * One diagnostic of a model state.
 *
 * @param step the optimizer step of the weights
 * @param seed the run seed (probe selection and Hutchinson signs derive from it)
 * @param probes the training-split indices probed
 * @param structures the structures of the requested kinds, in the model's order
 * @param whole the whole-model kernel's spectrum; null unless computed
 * @param restParameters scalars outside every structure (0 without the whole model)
 * @param totalParameters the model's trainable scalars
 * @param wholeTrace tr(H) of the loss of the first probe batch; null when no Hutchinson probes were asked for
 * @param restTrace the block trace of the parameters outside every structure; null likewise
 * @param conditioning gradient-based estimates and the Theorem 6 factor
 * @param kernelSeconds wall time of the Jacobian kernels and their spectra
 * @param hessianSeconds wall time of the Hessian trace
 * @param passes how many times the n per-sample gradients were computed
 */
public record DiagnosticsReport(long step, long seed, DiagnosticsOptions options, int[] probes,
    List<StructureDiagnostics> structures, Spectrum whole, long restParameters, long totalParameters,
    HessianTrace.Estimate wholeTrace,
    HessianTrace.Estimate restTrace, Conditioning conditioning, double kernelSeconds, double hessianSeconds,
    int passes) {
  /**
   * @param kept whether the structure is kept by the current masks (a masked one has a zero kernel)
   * @param parameters the scalars it owns ({@link JacobianKernels})
   * @param spectrum over all n probes, or over its active probes when the options ask so
   * @param trace its Hessian block trace; null without Hutchinson probes
   * @param activeProbes the probes with a nonzero gradient row in its Jacobian ({@link ActiveProbes})
   */
  public record StructureDiagnostics(String id, int layer, int index, Structure.Kind kind, boolean kept,
      long parameters, Spectrum spectrum, HessianTrace.Estimate trace, int activeProbes) {}

  /**
   * @param loss the probe set's mean task loss L
   * @param gradientNormSquared ‖∇L‖² on the whole probe set
   * @param maxBatchGradientNorm the largest gradient norm over the probe batches: the L_f estimate
   * @param jacobianNorm √λ_max(K), the norm of the probe Jacobian (NaN without the whole model)
   * @param plRatio ‖∇L‖² / L
   * @param mu the PL constant estimate ‖∇L‖² / (2L) (the PL inequality ½‖∇L‖² ≥ µ L at this point)
   * @param convergenceFactor 1 − µ / L_f (Theorem 6), with L_f = maxBatchGradientNorm
   */
  public record Conditioning(double loss, double gradientNormSquared, double maxBatchGradientNorm, double jacobianNorm,
      double plRatio, double mu, double convergenceFactor) {
    /** Theorem 6's n(ε, δ) from these estimates. */
    public double sampleComplexity(double lossBound, double epsilon, double delta) {
      return Bounds.sampleComplexity(maxBatchGradientNorm, mu, lossBound, epsilon, delta);
    }
  }
}
