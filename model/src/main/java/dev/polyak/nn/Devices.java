package dev.polyak.nn;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.polyak.engine.NativeEngine;
import java.util.Locale;

/**
 * {@code --device cpu|gpu|gpu:N}: parses the option and checks, before any work starts, that the
 * engine can see the requested GPU. The default build carries the CPU native library; GPUs need the
 * {@code gpu} Maven profile (CUDA 12.4 native library) on a machine with a CUDA driver ({@link
 * NativeEngine#checkGpu} says which is missing).
 */
public final class Devices {
  private Devices() {}

  /** The device for an option value; {@code gpu} means {@code gpu:0}. */
  public static Device parse(String option) {
    String value = option.trim().toLowerCase(Locale.ROOT);
    if (value.equals("cpu")) {
      return Device.cpu();
    }
    if (value.equals("gpu")) {
      return Device.gpu(0);
    }
    if (value.startsWith("gpu:")) {
      try {
        int id = Integer.parseInt(value.substring(4));
        if (id >= 0) {
          return Device.gpu(id);
        }
      } catch (NumberFormatException e) {
        // fall through to the error below
      }
    }
    throw new IllegalArgumentException(
        "--device must be cpu, gpu or gpu:N (N >= 0), got '" + option + "'");
  }

  /** Fails with a clear message when {@code device} is a GPU the engine cannot see. */
  public static Device require(Device device) {
    if (!device.isGpu()) {
      return device;
    }
    NativeEngine.checkGpu();
    Autograd.ensureEngine();
    int visible = Engine.getEngine("PyTorch").getGpuCount();
    if (device.getDeviceId() >= visible) {
      throw new IllegalArgumentException(
          "device "
              + device
              + " requested, but the PyTorch engine sees "
              + visible
              + " GPU(s)"
              + (visible == 0
                  ? ": the CUDA runtime sees no GPU (CUDA_VISIBLE_DEVICES, the container's GPU request); use --device cpu"
                  : "; use gpu:0 to gpu:" + (visible - 1)));
    }
    return device;
  }
}
