package dev.polyak.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.BitSet;
import java.util.Locale;

/**
 * The device one training worker (one DoFn instance, i.e. one Flink task slot) trains on. {@code
 * cpu}: the CPU, shared. {@code gpu}: the lowest-numbered GPU of this process no other worker
 * holds, held until {@link #close}, so with one slot per GPU every run has a GPU to itself; a
 * process with more training workers than GPUs fails with a message saying so instead of sharing a
 * GPU.
 */
public final class DeviceLease implements AutoCloseable {
  private static final BitSet HELD = new BitSet();
  private final Device device;
  private final int gpu;

  private DeviceLease(Device device, int gpu) {
    this.device = device;
    this.gpu = gpu;
  }

  public static DeviceLease acquire(String policy) {
    String p = policy.toLowerCase(Locale.ROOT);
    if (p.equals("cpu")) {
      return new DeviceLease(Device.cpu(), -1);
    }
    if (!p.equals("gpu")) {
      throw new IllegalArgumentException("device must be cpu or gpu, got '" + policy + "'");
    }
    NativeEngine.checkGpu();
    return acquireGpu(Engine.getInstance().getGpuCount());
  }

  /** Leases one of {@code visible} GPUs (the engine's count), or fails naming the shortfall. */
  static synchronized DeviceLease acquireGpu(int visible) {
    if (visible < 1) {
      throw new IllegalStateException(
          "the sweep asks for device gpu, but the engine ("
              + Engine.getInstance().getEngineName()
              + ") sees no GPU on this worker: check the CUDA build (mvn -Pgpu), the NVIDIA driver and that the task"
              + " manager's container requests nvidia.com/gpu");
    }
    int free = HELD.nextClearBit(0);
    if (free >= visible) {
      throw new IllegalStateException(
          "this worker process runs more training slots than it has GPUs ("
              + visible
              + " visible): set taskmanager.numberOfTaskSlots to the GPU count");
    }
    HELD.set(free);
    return new DeviceLease(Device.gpu(free), free);
  }

  public Device device() {
    return device;
  }

  @Override
  public void close() {
    if (gpu >= 0) {
      synchronized (DeviceLease.class) {
        HELD.clear(gpu);
      }
    }
  }
}
