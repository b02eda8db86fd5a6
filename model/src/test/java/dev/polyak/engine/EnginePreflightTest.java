package dev.polyak.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.util.DjlPlatformMatch;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine preflight's decision, from the build's and the machine's facts given as values. */
class EnginePreflightTest {
  @TempDir Path dir;

  private static final GpuHost CPU_MACHINE =
      new GpuHost("cpu", Optional.empty(), Optional.empty(), 0, List.of());
  private static final GpuHost GPU_NODE =
      new GpuHost(
          "cu124",
          Optional.of("550.54.14"),
          Optional.of("12.4"),
          8,
          List.of("NVIDIA_VISIBLE_DEVICES=0,1,2,3,4,5,6,7"));
  private static final GpuHost OLD_DRIVER =
      new GpuHost(
          "cu122",
          Optional.of("535.104.05"),
          Optional.of("12.2"),
          2,
          List.of("CUDA_VISIBLE_DEVICES=0,1"));
  private static final GpuHost NO_CUDART =
      new GpuHost("cpu", Optional.of("550.54.14"), Optional.of("12.4"), 8, List.of());

  private static NativeBuild build(
      List<String> bundled, boolean cpuOnClassPath, Set<String> cached, Optional<String> flavor) {
    return new NativeBuild(
        "2.5.1",
        "0.33.0",
        "linux-x86_64",
        bundled,
        cpuOnClassPath,
        Path.of("/cache/pytorch"),
        cached,
        Optional.empty(),
        Optional.empty(),
        flavor);
  }

  private static final NativeBuild CUDA_ONLY =
      build(List.of("cu124"), false, Set.of(), Optional.empty());
  private static final NativeBuild CUDA_WITH_FALLBACK =
      build(List.of("cu124"), true, Set.of(), Optional.empty());
  private static final NativeBuild CPU_BUILD =
      new NativeBuild(
          "2.7.1",
          "0.36.0",
          "linux-x86_64",
          List.of("cpu"),
          true,
          Path.of("/cache/pytorch"),
          Set.of(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty());

  @Test
  void theCudaBuildWithoutFallbackOnACpuMachineIsOneLineNamingBuildMachineAndRemedy() {
    assertThatThrownBy(() -> EnginePreflight.plan(CUDA_ONLY, CPU_MACHINE, false))
        .isInstanceOf(EngineUnavailableException.class)
        .hasMessage(
            "PyTorch cannot load: this is the CUDA 12.4 build (PyTorch 2.5.1, DJL 0.33.0, without a CPU"
                + " fallback); this machine: no NVIDIA driver (no /proc/driver/nvidia/version), no GPU device files"
                + " (/dev/nvidia*), CUDA_VISIBLE_DEVICES unset, DJL sees no CUDA (it finds no libcudart.so runtime, or that"
                + " runtime sees no GPU); run on a node with an NVIDIA driver for CUDA 12.4 or newer (nvidia-smi shows"
                + " 'CUDA Version: 12.4' or higher), or use the CPU build (mvn package), or a GPU build with its CPU fallback"
                + " (mvn -Pgpu package bundles it)");
  }

  @Test
  void theCudaBuildWithItsCpuLibraryFallsBackWhereNoCudaRunsUnlessAGpuIsAskedFor() {
    assertThat(EnginePreflight.plan(CUDA_WITH_FALLBACK, CPU_MACHINE, false))
        .isEqualTo(EnginePreflight.Plan.CPU_FALLBACK);
    assertThat(EnginePreflight.plan(CUDA_WITH_FALLBACK, OLD_DRIVER, false))
        .isEqualTo(EnginePreflight.Plan.CPU_FALLBACK);
    assertThatThrownBy(() -> EnginePreflight.plan(CUDA_WITH_FALLBACK, CPU_MACHINE, true))
        .isInstanceOf(EngineUnavailableException.class)
        .hasMessageStartingWith(
            "a GPU was asked for, but PyTorch cannot use one here: this is the CUDA 12.4 build"
                + " (PyTorch 2.5.1, DJL 0.33.0, with its CPU library as a fallback)")
        .hasMessageEndingWith(
            "or use --device cpu (this build then falls back to its CPU library)");
  }

  @Test
  void anOldDriverIsNamedWithItsVersionAndCuda() {
    assertThatThrownBy(() -> EnginePreflight.plan(CUDA_WITH_FALLBACK, OLD_DRIVER, true))
        .hasMessageContaining(
            "this machine: NVIDIA driver 535.104.05 (CUDA 12.2 per nvidia-smi), 2 GPU device file(s)"
                + " (/dev/nvidia*), CUDA_VISIBLE_DEVICES=0,1, DJL sees CUDA 12.2 (the runtime libcudart.so it loads)")
        .hasMessageContaining("driver for CUDA 12.4 or newer")
        .hasMessageNotContaining("LD_LIBRARY_PATH");
  }

  @Test
  void aDriverWithoutACudaRuntimeForDjlPointsAtLibcudart() {
    assertThatThrownBy(() -> EnginePreflight.plan(CUDA_WITH_FALLBACK, NO_CUDART, true))
        .hasMessageContaining("DJL sees no CUDA")
        .hasMessageContaining(
            "libcudart.so of CUDA 12.4 or newer where DJL finds it (LD_LIBRARY_PATH)");
  }

  @Test
  void aGpuNodeWithCuda124OrNewerLoadsTheCudaLibrary() {
    assertThat(EnginePreflight.plan(CUDA_WITH_FALLBACK, GPU_NODE, true))
        .isEqualTo(EnginePreflight.Plan.LOAD);
    assertThat(EnginePreflight.plan(CUDA_ONLY, GPU_NODE, false))
        .isEqualTo(EnginePreflight.Plan.LOAD);
    GpuHost newer =
        new GpuHost("cu128", Optional.of("570.86.15"), Optional.of("12.8"), 1, List.of());
    assertThat(EnginePreflight.plan(CUDA_ONLY, newer, true)).isEqualTo(EnginePreflight.Plan.LOAD);
    assertThat(
            EnginePreflight.djlChoice(
                build(List.of("cu124", "cpu"), true, Set.of(), Optional.empty()), GPU_NODE))
        .as("both jars on the class path: DJL takes the highest flavour that runs")
        .contains("cu124");
  }

  @Test
  void theCpuBuildLoadsAnywhereButRefusesAGpu() {
    assertThat(EnginePreflight.plan(CPU_BUILD, GPU_NODE, false))
        .isEqualTo(EnginePreflight.Plan.LOAD);
    assertThatThrownBy(() -> EnginePreflight.plan(CPU_BUILD, GPU_NODE, true))
        .hasMessageStartingWith(
            "a GPU was asked for, but PyTorch cannot use one here: this is the CPU build"
                + " (PyTorch 2.7.1, DJL 0.36.0)")
        .hasMessageEndingWith(
            "build the GPU jar (mvn -Pgpu package) and run it on a node with an NVIDIA driver for"
                + " CUDA 12.4 or newer, or use --device cpu");
  }

  @Test
  void aLibraryAlreadyUnpackedInDjlsCacheIsWhatDjlLoads() {
    NativeBuild thin = build(List.of(), false, Set.of("cpu"), Optional.empty());
    assertThat(EnginePreflight.plan(thin, CPU_MACHINE, false)).isEqualTo(EnginePreflight.Plan.LOAD);
    NativeBuild thinCuda = build(List.of(), false, Set.of("cu124", "cpu"), Optional.empty());
    assertThat(EnginePreflight.plan(thinCuda, GPU_NODE, true)).isEqualTo(EnginePreflight.Plan.LOAD);
    assertThat(EnginePreflight.plan(thinCuda, OLD_DRIVER, false))
        .as("DJL looks for cu122, which is not there; the unpacked CPU library is")
        .isEqualTo(EnginePreflight.Plan.CPU_FALLBACK);
    assertThatThrownBy(
            () ->
                EnginePreflight.plan(
                    build(List.of(), false, Set.of(), Optional.empty()), CPU_MACHINE, false))
        .hasMessageContaining(
            "this is a build with no PyTorch native library bundled (PyTorch 2.5.1, DJL 0.33.0) and"
                + " none unpacked in /cache/pytorch");
  }

  @Test
  void aPytorchFlavorSetByTheUserIsHonouredOrNamed() {
    NativeBuild pinned = build(List.of("cu124"), true, Set.of(), Optional.of("cu124"));
    assertThatThrownBy(() -> EnginePreflight.plan(pinned, CPU_MACHINE, false))
        .hasMessageEndingWith(
            "or unset PYTORCH_FLAVOR (cu124) so that the CPU fallback can be selected");
    NativeBuild cpuPinned = build(List.of("cu124"), true, Set.of(), Optional.of("cpu"));
    assertThat(EnginePreflight.plan(cpuPinned, CPU_MACHINE, false))
        .isEqualTo(EnginePreflight.Plan.CPU_FALLBACK);
    NativeBuild ownLibrary =
        new NativeBuild(
            "2.5.1",
            "0.33.0",
            "linux-x86_64",
            List.of("cu124"),
            false,
            Path.of("/c"),
            Set.of(),
            Optional.of("/opt/libtorch/lib"),
            Optional.empty(),
            Optional.empty());
    assertThat(EnginePreflight.plan(ownLibrary, CPU_MACHINE, false))
        .as("PYTORCH_LIBRARY_PATH: the user's choice")
        .isEqualTo(EnginePreflight.Plan.LOAD);
  }

  @Test
  void whetherABundledFlavorRunsIsDecidedAsDjlsOwnPlatformMatchesDecides() {
    for (String bundled :
        List.of("cpu", "cpu-precxx11", "cu118", "cu121", "cu124", "cu124-precxx11", "cu128")) {
      for (String machine : List.of("cpu", "cu118", "cu122", "cu124", "cu126", "cu128")) {
        assertThat(EnginePreflight.runs(bundled, machine))
            .as(bundled + " on " + machine)
            .isEqualTo(DjlPlatformMatch.matches(bundled, machine, dir));
      }
    }
  }
}
