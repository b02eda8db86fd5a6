package dev.polyak.nn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.lang.management.ManagementFactory;

/**
 * Run in a fresh JVM by {@link NativeLibraryCacheTest}: loads the PyTorch engine from whatever
 * {@code DJL_CACHE_DIR} says, takes one gradient step of a least-squares fit, and prints the folder
 * the engine was loaded from and the milliseconds from the JVM's start to the engine and to the
 * step.
 */
public final class EngineLoadProbe {
  private EngineLoadProbe() {}

  public static void main(String[] args) {
    long start = ManagementFactory.getRuntimeMXBean().getStartTime();
    Engine engine = Engine.getEngine("PyTorch");
    long loaded = System.currentTimeMillis();
    float loss;
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray x = manager.arange(12f).reshape(new Shape(4, 3));
      NDArray y = manager.create(new float[] {1, 2, 3, 4}).reshape(new Shape(4, 1));
      NDArray w = manager.zeros(new Shape(3, 1));
      w.setRequiresGradient(true);
      try (GradientCollector collector = engine.newGradientCollector()) {
        NDArray residual = x.matMul(w).sub(y);
        NDArray objective = residual.mul(residual).mean();
        collector.backward(objective);
        loss = objective.getFloat();
      }
      w.subi(w.getGradient().mul(0.01f));
    }
    long stepped = System.currentTimeMillis();
    System.out.println("libtorch=" + ai.djl.pytorch.jni.LibUtils.getLibtorchPath());
    System.out.println("loss=" + loss);
    System.out.printf("ms-to-engine=%d ms-to-first-step=%d%n", loaded - start, stepped - start);
  }
}
