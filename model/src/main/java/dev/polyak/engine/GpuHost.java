package dev.polyak.engine;

import ai.djl.util.Platform;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What the machine offers for CUDA, read without loading PyTorch.
 *
 * @param djlFlavor the flavour DJL's {@code Platform} gives this machine: {@code cu124} when it
 *     loads the CUDA runtime ({@code libcudart.so}, version 12.4) and that sees a GPU, else {@code
 *     cpu}
 * @param nvidiaDriver the NVIDIA kernel driver's version ({@code /proc/driver/nvidia/version}), if
 *     loaded
 * @param driverCuda the newest CUDA version the driver supports, as {@code nvidia-smi} prints it
 * @param gpuDevices the GPU device files {@code /dev/nvidia0}, {@code /dev/nvidia1}, ...
 * @param visibleDevices {@code CUDA_VISIBLE_DEVICES} and {@code NVIDIA_VISIBLE_DEVICES}, those set
 */
public record GpuHost(
    String djlFlavor,
    Optional<String> nvidiaDriver,
    Optional<String> driverCuda,
    int gpuDevices,
    List<String> visibleDevices) {
  private static final Pattern DRIVER_VERSION =
      Pattern.compile("Kernel Module.*?\\s(\\d+\\.\\d+(?:\\.\\d+)?)\\s");
  private static final Pattern CUDA_VERSION = Pattern.compile("CUDA Version:\\s*(\\d+\\.\\d+)");
  private static final Pattern GPU_DEVICE = Pattern.compile("nvidia\\d+");

  public GpuHost {
    visibleDevices = List.copyOf(visibleDevices);
  }

  /**
   * Reads this machine: {@code /proc}, {@code /dev}, the environment, {@code nvidia-smi} and DJL's
   * CUDA check.
   */
  public static GpuHost read() {
    return read(
        Path.of("/proc/driver/nvidia/version"), Path.of("/dev"), System.getenv(), "nvidia-smi");
  }

  /**
   * Reads the driver version from {@code driverVersionFile}, GPU device files from {@code devDir},
   * the visible devices from {@code env}, and the driver's CUDA version from {@code nvidiaSmi}'s
   * output, run only when a driver is loaded; DJL's flavour is its own check of this machine.
   */
  public static GpuHost read(
      Path driverVersionFile, Path devDir, Map<String, String> env, String nvidiaSmi) {
    Optional<String> driver = firstMatch(DRIVER_VERSION, readQuietly(driverVersionFile));
    Optional<String> cuda =
        driver.isPresent() ? firstMatch(CUDA_VERSION, run(nvidiaSmi)) : Optional.empty();
    List<String> visible = new ArrayList<>();
    for (String name : List.of("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES")) {
      if (env.get(name) != null) {
        visible.add(name + "=" + env.get(name));
      }
    }
    return new GpuHost(
        Platform.fromSystem("pytorch").getFlavor(), driver, cuda, countGpuDevices(devDir), visible);
  }

  /** "12.4" for {@code cu124} (and {@code cu124-precxx11}). */
  public static String cudaVersion(String flavor) {
    return flavor.substring(2, 4) + "." + flavor.substring(4, 5);
  }

  /** Whether DJL sees a CUDA runtime and a GPU on this machine. */
  public boolean djlSeesCuda() {
    return djlFlavor.startsWith("cu");
  }

  /**
   * "NVIDIA driver 550.54.14 (CUDA 12.4 per nvidia-smi), 8 GPU device files (/dev/nvidia*), ..."
   */
  public String describe() {
    List<String> parts = new ArrayList<>();
    parts.add(
        nvidiaDriver
            .map(
                d ->
                    "NVIDIA driver "
                        + d
                        + driverCuda.map(c -> " (CUDA " + c + " per nvidia-smi)").orElse(""))
            .orElse("no NVIDIA driver (no /proc/driver/nvidia/version)"));
    parts.add(
        gpuDevices == 0
            ? "no GPU device files (/dev/nvidia*)"
            : gpuDevices + " GPU device file(s) (/dev/nvidia*)");
    parts.add(
        visibleDevices.isEmpty()
            ? "CUDA_VISIBLE_DEVICES unset"
            : String.join(", ", visibleDevices));
    parts.add(
        djlSeesCuda()
            ? "DJL sees CUDA " + cudaVersion(djlFlavor) + " (the runtime libcudart.so it loads)"
            : "DJL sees no CUDA (it finds no libcudart.so runtime, or that runtime sees no GPU)");
    return String.join(", ", parts);
  }

  private static Optional<String> firstMatch(Pattern pattern, String text) {
    Matcher m = pattern.matcher(text);
    return m.find() ? Optional.of(m.group(1)) : Optional.empty();
  }

  private static String readQuietly(Path file) {
    try {
      return Files.isReadable(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "";
    }
  }

  private static int countGpuDevices(Path devDir) {
    if (!Files.isDirectory(devDir)) {
      return 0;
    }
    try (Stream<Path> entries = Files.list(devDir)) {
      return (int)
          entries.filter(p -> GPU_DEVICE.matcher(p.getFileName().toString()).matches()).count();
    } catch (IOException e) {
      return 0;
    }
  }

  /** {@code command}'s standard output, or "" when it is missing, fails or takes over 10 s. */
  private static String run(String command) {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      try (InputStream out = process.getInputStream()) {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          return "";
        }
        return new String(out.readAllBytes(), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }
}
