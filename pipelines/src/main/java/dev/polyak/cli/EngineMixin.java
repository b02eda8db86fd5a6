package dev.polyak.cli;

import ai.djl.Device;
import dev.polyak.engine.NativeEngine;
import dev.polyak.nn.Devices;
import dev.polyak.nn.EngineThreads;
import picocli.CommandLine.Option;

/** The device and engine-thread options of the commands that train in this process. */
final class EngineMixin {
  @Option(names = "--device", defaultValue = "cpu", description = "cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
  String device;

  @Option(names = "--threads", defaultValue = "1", description = "Intra-op threads of the engine (default:"
      + " ${DEFAULT-VALUE}; only one thread gives bitwise-identical trajectories across processes).")
  int threads;

  /** The logger DJL reports its CUDA probe on; quiet on CPU runs (see simplelogger.properties). */
  static final String CUDA_LOGGER = "org.slf4j.simpleLogger.log.ai.djl.util.cuda";

  /**
   * Sets the engine's threads and returns the device, refusing a bad count or a missing GPU; a GPU
   * this build or machine cannot give is refused before the engine loads.
   */
  Device apply() {
    Device requested = Devices.parse(device);
    keepGpuWarnings(requested.isGpu());
    if (requested.isGpu()) {
      NativeEngine.checkGpu();
    }
    EngineThreads.set(threads);
    return Devices.require(requested);
  }

  /**
   * On a GPU run, DJL's warnings about its CUDA probe (no driver, a driver too old) are the reason
   * the GPU is missing: shows them. Effective before the engine first loads in this JVM.
   */
  static void keepGpuWarnings(boolean gpu) {
    if (gpu) {
      System.setProperty(CUDA_LOGGER, "warn");
    }
  }
}
