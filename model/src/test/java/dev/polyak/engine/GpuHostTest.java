package dev.polyak.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading the machine's GPU facts: the driver's version file, device files, environment and
 * nvidia-smi.
 */
class GpuHostTest {
  @TempDir Path dir;

  /**
   * A stand-in nvidia-smi (a real process) that prints the header of the real one and leaves a mark
   * when run.
   */
  private Path nvidiaSmi(String cuda) throws Exception {
    Path script = dir.resolve("nvidia-smi");
    Files.writeString(
        script,
        "#!/bin/sh\ntouch '"
            + dir.resolve("nvidia-smi-ran")
            + "'\ncat <<'OUT'\n"
            + "+-----------------------------------------------------------------------------------------+\n"
            + "| NVIDIA-SMI 535.104.05             Driver Version: 535.104.05   CUDA Version: "
            + cuda
            + "     |\n"
            + "|-----------------------------------------+------------------------+----------------------+\n"
            + "OUT\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    return script;
  }

  @Test
  void readsTheDriverItsCudaVersionTheGpuDevicesAndTheVisibleDevices() throws Exception {
    Path version =
        Files.writeString(
            dir.resolve("version"),
            "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 01:15:15 UTC 2023\n"
                + "GCC version:  gcc version 11.4.0 (Ubuntu 11.4.0-1ubuntu1~22.04)\n");
    Path dev = Files.createDirectories(dir.resolve("dev"));
    for (String name :
        List.of("nvidia0", "nvidia1", "nvidiactl", "nvidia-uvm", "nvidia-modeset", "null")) {
      Files.createFile(dev.resolve(name));
    }
    GpuHost host =
        GpuHost.read(
            version,
            dev,
            Map.of("CUDA_VISIBLE_DEVICES", "1", "HOME", "/root"),
            nvidiaSmi("12.2").toString());

    assertThat(host.nvidiaDriver()).contains("535.104.05");
    assertThat(host.driverCuda()).contains("12.2");
    assertThat(host.gpuDevices()).as("nvidia0 and nvidia1, not the control devices").isEqualTo(2);
    assertThat(host.visibleDevices()).containsExactly("CUDA_VISIBLE_DEVICES=1");
    assertThat(host.describe())
        .startsWith(
            "NVIDIA driver 535.104.05 (CUDA 12.2 per nvidia-smi), 2 GPU device file(s)"
                + " (/dev/nvidia*), CUDA_VISIBLE_DEVICES=1, DJL sees");
  }

  @Test
  void readsTheOpenKernelModulesVersionLine() throws Exception {
    Path version =
        Files.writeString(
            dir.resolve("version"),
            "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64"
                + "  550.54.14  Release Build  (dvs-builder@U16-I3-B03-4-3)  Thu Feb 22 01:25:25 UTC 2024\n");
    GpuHost host =
        GpuHost.read(version, dir.resolve("no-dev"), Map.of(), nvidiaSmi("12.4").toString());
    assertThat(host.nvidiaDriver()).contains("550.54.14");
    assertThat(host.driverCuda()).contains("12.4");
    assertThat(host.gpuDevices()).isZero();
  }

  @Test
  void withoutADriverNvidiaSmiIsNotRunAndNothingIsClaimed() throws Exception {
    GpuHost host =
        GpuHost.read(
            dir.resolve("absent"), dir.resolve("no-dev"), Map.of(), nvidiaSmi("12.4").toString());
    assertThat(dir.resolve("nvidia-smi-ran")).doesNotExist();
    assertThat(host.nvidiaDriver()).isEmpty();
    assertThat(host.driverCuda()).isEmpty();
    assertThat(host.describe())
        .startsWith(
            "no NVIDIA driver (no /proc/driver/nvidia/version), no GPU device files"
                + " (/dev/nvidia*), CUDA_VISIBLE_DEVICES unset, DJL sees");
  }

  @Test
  void aMissingNvidiaSmiLeavesTheCudaVersionUnknown() throws Exception {
    Path version =
        Files.writeString(
            dir.resolve("version"),
            "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  x\n");
    GpuHost host =
        GpuHost.read(version, dir, Map.of(), dir.resolve("no-such-nvidia-smi").toString());
    assertThat(host.nvidiaDriver()).contains("550.54.14");
    assertThat(host.driverCuda()).isEqualTo(Optional.empty());
  }

  @Test
  void cudaVersionsOfFlavors() {
    assertThat(GpuHost.cudaVersion("cu124")).isEqualTo("12.4");
    assertThat(GpuHost.cudaVersion("cu118-precxx11")).isEqualTo("11.8");
  }
}
