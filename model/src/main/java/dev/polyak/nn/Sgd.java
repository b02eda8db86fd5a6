package dev.polyak.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * SGD with momentum and L2 weight decay, as {@code torch.optim.SGD}: {@code g += wd * w; buf =
 * momentum * buf + g; w -= lr * buf} (the CNN recipe of the paper: momentum 0.9).
 */
public final class Sgd implements Optimizer {
  private final float momentum;
  private final float weightDecay;
  private final NDManager manager;
  private final Map<String, NDArray> velocity = new HashMap<>();

  private final boolean fused;

  public Sgd(NDManager parent, float momentum, float weightDecay) {
    this(parent, momentum, weightDecay, true);
  }

  /**
   * @param fused whether a step updates each parameter in one pass over its memory where it can
   *     (see {@link #fusedStep}); {@code false} uses the engine's element-wise operations
   *     throughout
   */
  Sgd(NDManager parent, float momentum, float weightDecay, boolean fused) {
    this.fused = fused;
    this.manager = parent.newSubManager();
    this.momentum = momentum;
    this.weightDecay = weightDecay;
  }

  @Override
  public void step(Parameters parameters, float lr) {
    try (Autograd.Mode off = Autograd.recording(false);
        NDScope scope = new NDScope()) {
      for (Map.Entry<String, NDArray> e : parameters.all().entrySet()) {
        NDArray w = e.getValue();
        NDArray g = w.getGradient();
        NDArray buf = velocity.get(e.getKey());
        if (buf != null && fused && fusedStep(w, g, buf, lr)) {
          continue;
        }
        NDArray d = weightDecay != 0f ? g.add(w.mul(weightDecay)) : g;
        if (buf == null) {
          buf = d.duplicate();
          NDScope.unregister(buf);
          buf.attach(manager);
          velocity.put(e.getKey(), buf);
        } else {
          buf.muli(momentum).addi(d);
        }
        w.subi(buf.mul(lr));
        Autograd.zeroGradient(w);
      }
    }
  }

  /**
   * The step of one parameter with a velocity, in a single pass over its memory: the float32
   * operations of the engine's path above in the same order (bitwise the same values: Java rounds
   * every float operation, as the engine's element-wise kernels do), and its gradient set to zero.
   * Where the engine makes about seven passes and allocates three temporaries, this reads and
   * writes each of the three tensors once. False, with nothing changed, when a tensor has no shared
   * view ({@link SharedFloats}).
   */
  private boolean fusedStep(NDArray w, NDArray g, NDArray buf, float lr) {
    FloatBuffer wb = SharedFloats.of(w);
    FloatBuffer gb = wb == null ? null : SharedFloats.of(g);
    FloatBuffer vb = gb == null ? null : SharedFloats.of(buf);
    if (vb == null) {
      return false;
    }
    int n = wb.capacity();
    boolean decays = weightDecay != 0f;
    for (int i = 0; i < n; i++) {
      float wi = wb.get(i);
      float d = decays ? gb.get(i) + wi * weightDecay : gb.get(i);
      float v = vb.get(i) * momentum + d;
      vb.put(i, v);
      wb.put(i, wi - v * lr);
      gb.put(i, 0f);
    }
    return true;
  }

  @Override
  public Map<String, float[]> state() {
    Map<String, float[]> state = new LinkedHashMap<>();
    velocity.forEach((k, v) -> state.put(k + ".velocity", v.toFloatArray()));
    return state;
  }

  @Override
  public void load(Map<String, float[]> state, Parameters parameters) {
    velocity.values().forEach(NDArray::close);
    velocity.clear();
    for (Map.Entry<String, NDArray> e : parameters.all().entrySet()) {
      float[] v = state.get(e.getKey() + ".velocity");
      if (v != null) {
        NDArray buf = manager.create(v, e.getValue().getShape());
        NDScope.unregister(buf);
        velocity.put(e.getKey(), buf);
      }
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
