package dev.polyak.cli;

import ai.djl.Device;
import dev.polyak.engine.NativeEngine;
import dev.polyak.nn.Devices;
import dev.polyak.nn.EngineThreads;
import picocli.CommandLine.Option;

/** The device and engine-thread options of the commands that train in this process. */
final class EngineMixin {
  @Option(
      names = "--device",
      defaultValue = "cpu",
      description = "cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
  String device;

  @Option(
      names = "--threads",
      defaultValue = "1",
      description =
          "Intra-op threads of the engine (default:"
              + " ${DEFAULT-VALUE}; only one thread gives bitwise-identical trajectories across processes).")
  int threads;

  /**
   * Sets the engine's threads and returns the device, refusing a bad count or a missing GPU; a GPU
   * this build or machine cannot give is refused before the engine loads.
   */
  Device apply() {
    Device requested = Devices.parse(device);
    if (requested.isGpu()) {
      NativeEngine.checkGpu();
    }
    EngineThreads.set(threads);
    return Devices.require(requested);
  }
}
