package dev.polyak.engine;

import java.util.Comparator;
import java.util.Optional;

/**
 * Predicts, from the build and the machine, what DJL will do when it loads PyTorch, and decides
 * before it does. DJL (0.33 and 0.36 alike, {@code LibUtils} and {@code Platform}) takes the
 * highest-named bundled flavour that runs here: {@code cpu} always, {@code cuNNN} only where the
 * CUDA runtime it loads ({@code libcudart.so}) is version NNN or newer and sees a GPU. With none,
 * it looks in its cache for {@code <version>-<PYTORCH_FLAVOR or the machine's
 * flavour>-<classifier>}, and without that it downloads, which offline mode refuses ("Failed to
 * save pytorch index file"). polyak turns that dead end into the CPU fallback where the build has
 * one, or into one line.
 */
public final class EnginePreflight {
  private EnginePreflight() {}

  /** What to do before loading. */
  public enum Plan {
    /** DJL will find a library that runs here: load as is. */
    LOAD,
    /**
     * Only the build's CPU library runs here: unpack it into DJL's cache and select flavour cpu.
     */
    CPU_FALLBACK
  }

  /**
   * The plan for loading PyTorch with {@code build} on {@code host}, for GPU work when {@code gpu}.
   *
   * @throws EngineUnavailableException when the load would fail, or could not give the GPU asked
   *     for
   */
  public static Plan plan(NativeBuild build, GpuHost host, boolean gpu) {
    if (build.libraryPathOverride().isPresent() || build.versionOverride().isPresent()) {
      return Plan.LOAD; // the user chose the library; a failure to load it is translated afterwards
    }
    Optional<String> loads = djlChoice(build, host);
    if (loads.isPresent()) {
      if (gpu && !loads.get().startsWith("cu")) {
        throw new EngineUnavailableException(gpuRefused(build, host));
      }
      return Plan.LOAD;
    }
    boolean flavorFree = build.flavorOverride().map(f -> f.equals("cpu")).orElse(true);
    if (!gpu && build.cpuLibraryAvailable() && flavorFree) {
      return Plan.CPU_FALLBACK;
    }
    throw new EngineUnavailableException(
        gpu ? gpuRefused(build, host) : cannotLoad(build, host, null));
  }

  /** The flavour DJL will load without a download, if any. */
  static Optional<String> djlChoice(NativeBuild build, GpuHost host) {
    Optional<String> bundled =
        build.bundledFlavors().stream()
            .filter(f -> runs(f, host.djlFlavor()))
            .max(Comparator.naturalOrder());
    if (bundled.isPresent()) {
      return bundled;
    }
    String wanted = build.flavorOverride().orElse(host.djlFlavor());
    return build.cachedFlavors().contains(wanted) ? Optional.of(wanted) : Optional.empty();
  }

  /**
   * DJL's {@code Platform.matches}: a CPU library runs anywhere, a CUDA one on a runtime at least
   * as new.
   */
  static boolean runs(String bundledFlavor, String machineFlavor) {
    if (bundledFlavor.startsWith("cpu") || bundledFlavor.equals("mkl")) {
      return true;
    }
    return bundledFlavor.startsWith("cu")
        && machineFlavor.startsWith("cu")
        && Integer.parseInt(bundledFlavor.substring(2, 5))
            <= Integer.parseInt(machineFlavor.substring(2, 5));
  }

  /**
   * The line for a load that fails: predicted ({@code djlError} null), or seen ({@code djlError} is
   * DJL's own message).
   */
  static String cannotLoad(NativeBuild build, GpuHost host, String djlError) {
    return "PyTorch cannot load"
        + (djlError == null ? "" : " (" + djlError + ")")
        + ": this is "
        + build.describe()
        + "; this machine: "
        + host.describe()
        + "; "
        + advice(build, host, false);
  }

  /** The line for GPU work this build or machine cannot do. */
  static String gpuRefused(NativeBuild build, GpuHost host) {
    return "a GPU was asked for, but PyTorch cannot use one here: this is "
        + build.describe()
        + "; this machine: "
        + host.describe()
        + "; "
        + advice(build, host, true);
  }

  private static String advice(NativeBuild build, GpuHost host, boolean gpu) {
    Optional<String> cuda = build.cudaFlavor();
    if (cuda.isEmpty()) {
      return gpu
          ? "build the GPU jar (mvn -Pgpu package) and run it on a node with an NVIDIA driver for CUDA 12.4 or newer,"
              + " or use --device cpu"
          : "rebuild the job jar (mvn package) so that it bundles PyTorch's native library";
    }
    String version = GpuHost.cudaVersion(cuda.get());
    String node =
        "run on a node with an NVIDIA driver for CUDA "
            + version
            + " or newer (nvidia-smi shows 'CUDA Version: "
            + version
            + "' or higher)";
    if (host.nvidiaDriver().isPresent() && !host.djlSeesCuda()) {
      node +=
          " and libcudart.so of CUDA "
              + version
              + " or newer where DJL finds it (LD_LIBRARY_PATH), as DJL"
              + " checks the GPU through that runtime";
    }
    String cpu =
        build.cpuLibraryAvailable()
            ? "use --device cpu (this build then falls back to its CPU library)"
            : "use the CPU build (mvn package), or a GPU build with its CPU fallback (mvn -Pgpu package bundles it)";
    if (!gpu && build.flavorOverride().filter(f -> !f.equals("cpu")).isPresent()) {
      cpu =
          "unset PYTORCH_FLAVOR ("
              + build.flavorOverride().get()
              + ") so that the CPU fallback can be selected";
    }
    return node + ", or " + cpu;
  }
}
