package dev.polyak.cli;

import dev.polyak.nn.EngineThreads;

import ai.djl.Device;
import dev.polyak.nn.Devices;
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

  /** Sets the engine's threads and returns the device, refusing a bad count or a missing GPU. */
  Device apply() {
    Device parsed = Devices.parse(device);
    keepGpuWarnings(parsed.isGpu());
    EngineThreads.set(threads);
    return Devices.require(parsed);
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
