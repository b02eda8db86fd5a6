package dev.polyak.nn;

import java.util.Map;

/**
 * Updates parameters in place from their gradients. Its state (moment buffers, step count) is plain
 * data so that a checkpoint can carry it and a resumed run continues exactly.
 */
public interface Optimizer extends AutoCloseable {
  /** One update with learning rate {@code lr}; gradients are read, then zeroed. */
  void step(Parameters parameters, float lr);

  /** The state as named float arrays (buffer name = parameter name + suffix). */
  Map<String, float[]> state();

  /**
   * Restores a state returned by {@link #state()} for the same parameters, replacing the state it
   * had (a parameter without an entry starts from zero, as before its first step).
   */
  void load(Map<String, float[]> state, Parameters parameters);

  @Override
  void close();
}
