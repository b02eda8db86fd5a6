package dev.polyak.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
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

  public Sgd(NDManager parent, float momentum, float weightDecay) {
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
        NDArray d = weightDecay != 0f ? g.add(w.mul(weightDecay)) : g;
        NDArray buf = velocity.get(e.getKey());
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
