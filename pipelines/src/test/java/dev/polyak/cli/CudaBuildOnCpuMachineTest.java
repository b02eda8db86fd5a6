package dev.polyak.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.util.Platform;
import dev.polyak.data.image.CifarConfig;
import dev.polyak.data.image.CifarVariant;
import dev.polyak.data.synthetic.SyntheticCifar;
import dev.polyak.testing.TestShardSets;
import java.io.File;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GPU build on a machine without a GPU, as a user meets it: {@code polyak train} in a separate
 * JVM whose class path has, instead of the CPU native jar, a native jar that declares flavour
 * {@code cu124} (its {@code native/lib/pytorch.properties}, nothing else: on this machine DJL never
 * gets further), with or without the CPU libraries beside it as the shaded GPU jar carries them
 * (the CPU jar's files without its properties). Works against whichever DJL the build uses: 0.36 by
 * default, the GPU build's 0.33 with PyTorch 2.5.1 under {@code -Pgpu-api}.
 */
class CudaBuildOnCpuMachineTest {
  @TempDir static Path dir;
  private static List<String> classPath;
  private static Path cudaJar;
  private static Path cpuLibraries;
  private static Path runFile;
  private static String classifier;
  private static String pytorchVersion;

  @BeforeAll
  static void buildTheGpuJarsStandIns() throws Exception {
    classifier = Platform.fromSystem("pytorch").getClassifier();
    pytorchVersion = Platform.fromSystem("pytorch").getVersion();
    List<String> entries =
        new ArrayList<>(
            Arrays.asList(
                System.getProperty(
                        "surefire.test.class.path", System.getProperty("java.class.path"))
                    .split(File.pathSeparator)));
    Path cpuNativeJar =
        entries.stream()
            .filter(e -> Path.of(e).getFileName().toString().startsWith("pytorch-native-"))
            .map(Path::of)
            .findFirst()
            .orElseThrow();
    entries.remove(cpuNativeJar.toString());
    classPath = entries;

    Properties cpu = new Properties();
    try (FileSystem jar = FileSystems.newFileSystem(cpuNativeJar)) {
      try (InputStream in = Files.newInputStream(jar.getPath("native/lib/pytorch.properties"))) {
        cpu.load(in);
      }
      cudaJar = dir.resolve("pytorch-native-cu124.jar");
      try (FileSystem cuda =
          FileSystems.newFileSystem(
              URI.create("jar:" + cudaJar.toUri()), Map.of("create", "true"))) {
        Files.createDirectories(cuda.getPath("native/lib"));
        Files.writeString(
            cuda.getPath("native/lib/pytorch.properties"),
            "version="
                + cpu.getProperty("version")
                + "\nflavor=cu124\nclassifier="
                + classifier
                + "\nlibraries=libtorch.so,libtorch_cuda.so\n");
      }
      // The CPU libraries as the shaded GPU jar holds them: the same files, without the CPU jar's
      // properties.
      cpuLibraries = dir.resolve("cpu-libraries.jar");
      try (FileSystem out =
          FileSystems.newFileSystem(
              URI.create("jar:" + cpuLibraries.toUri()),
              Map.of("create", "true", "noCompression", "true"))) {
        Path folder = jar.getPath("pytorch/cpu/" + classifier);
        Files.createDirectories(out.getPath(folder.toString()));
        try (Stream<Path> files = Files.list(folder)) {
          for (Path file : (Iterable<Path>) files::iterator) {
            Files.copy(file, out.getPath(file.toString()));
          }
        }
      }
    }

    Path input = dir.resolve("cifar");
    SyntheticCifar.write(input, CifarVariant.CIFAR10, 3, 32);
    Path shards = Files.createDirectories(dir.resolve("shards"));
    TestShardSets.images(input, shards, CifarVariant.CIFAR10, CifarConfig.defaults());
    runFile =
        Files.writeString(
            dir.resolve("run.yaml"),
            String.join(
                "\n",
                "model: mlp",
                "model_options: {hidden: 16, layers: 1}",
                "data: shards",
                "steps: 20",
                "batch_size: 8",
                "eval_every: 10",
                "eval_samples: 32",
                ""));
  }

  private record Run(int code, String out, String err) {
    /**
     * Standard error's lines, less the JVM's own warning when it dlopens a file without a GNU_STACK
     * header.
     */
    List<String> errLines() {
      return err.lines()
          .filter(l -> !l.isBlank())
          .filter(
              l ->
                  !l.startsWith("OpenJDK 64-Bit Server VM warning: You have loaded library")
                      && !l.startsWith(
                          "It's highly recommended that you fix the library with 'execstack -c"))
          .toList();
    }
  }

  /**
   * {@code polyak args} in a new JVM with {@code extra} on the class path and DJL's cache in {@code
   * cache}.
   */
  private static Run polyak(List<Path> extra, Path cache, String... args) throws Exception {
    List<String> path = new ArrayList<>(classPath);
    extra.forEach(p -> path.add(p.toString()));
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g",
                "@"
                    + Path.of("")
                        .toAbsolutePath()
                        .getParent()
                        .resolve("deploy/jvm/java17-flink.flags"),
                "-Dai.djl.pytorch.num_threads=1",
                "-Dai.djl.pytorch.num_interop_threads=1",
                "-cp",
                String.join(File.pathSeparator, path),
                PolyakCli.class.getName()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
    builder
        .environment()
        .keySet()
        .removeIf(name -> name.startsWith("PYTORCH_") || name.startsWith("DJL_"));
    builder.environment().put("DJL_CACHE_DIR", cache.toString());
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!process.waitFor(5, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError("polyak " + String.join(" ", args) + " did not finish in 5 minutes");
    }
    return new Run(
        process.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  @Test
  void withoutItsCpuLibraryTheCudaBuildIsOneLineAndExitTwoBeforeAnyWork() throws Exception {
    Path cache = dir.resolve("cache-none");
    Run run =
        polyak(
            List.of(cudaJar),
            cache,
            "train",
            "--config",
            runFile.toString(),
            "--out",
            dir.resolve("run-none").toString());

    assertThat(run.code()).as(run.err()).isEqualTo(2);
    assertThat(run.errLines()).as("one line, no stack trace, no DJL warning").hasSize(1);
    assertThat(run.errLines().get(0))
        .startsWith(
            "polyak: error: PyTorch cannot load: this is the CUDA 12.4 build"
                + " (PyTorch "
                + pytorchVersion
                + ", DJL ")
        .contains(", without a CPU fallback); this machine: ")
        .contains("DJL sees no CUDA")
        .endsWith(
            "run on a node with an NVIDIA driver for CUDA 12.4 or newer (nvidia-smi shows 'CUDA Version: 12.4'"
                + " or higher), or use the CPU build (mvn package), or a GPU build with its CPU fallback (mvn -Pgpu package"
                + " bundles it)");
    assertThat(dir.resolve("run-none")).doesNotExist();
  }

  @Test
  void withItsCpuLibraryTheCudaBuildTrainsOnTheCpuAndRefusesAGpuInOneLine() throws Exception {
    Path cache = dir.resolve("cache-fallback");
    Run run =
        polyak(
            List.of(cudaJar, cpuLibraries),
            cache,
            "train",
            "--config",
            runFile.toString(),
            "--out",
            dir.resolve("run-fallback").toString(),
            "--threads",
            "1");

    assertThat(run.code()).as(run.err()).isZero();
    assertThat(run.out()).contains("final: step 20");
    assertThat(run.err())
        .contains(
            "PyTorch "
                + pytorchVersion
                + " runs on the CPU library of this build: this machine"
                + " has no CUDA 12.4 DJL can use");
    assertThat(
            cache.resolve("pytorch/" + pytorchVersion + "-cpu-" + classifier + "/libtorch_cpu.so"))
        .as("unpacked where DJL looks when no bundled flavour runs")
        .isRegularFile();

    Run gpu =
        polyak(
            List.of(cudaJar, cpuLibraries),
            cache,
            "train",
            "--config",
            runFile.toString(),
            "--out",
            dir.resolve("run-gpu").toString(),
            "--device",
            "gpu");
    assertThat(gpu.code()).as(gpu.err()).isEqualTo(2);
    assertThat(gpu.errLines()).hasSize(1);
    assertThat(gpu.errLines().get(0))
        .startsWith(
            "polyak: error: a GPU was asked for, but PyTorch cannot use one here:"
                + " this is the CUDA 12.4 build")
        .contains(", with its CPU library as a fallback); this machine: ")
        .endsWith("or use --device cpu (this build then falls back to its CPU library)");
    assertThat(dir.resolve("run-gpu")).doesNotExist();
  }

  @Test
  void aLibraryDjlFailsToLoadIsTranslatedToOneLine() throws Exception {
    Path cache = dir.resolve("cache-broken");
    Path unpacked =
        Files.createDirectories(
            cache.resolve("pytorch").resolve(pytorchVersion + "-cpu-" + classifier));
    Files.writeString(unpacked.resolve("libtorch.so"), "not a shared library");
    Run run =
        polyak(
            List.of(cudaJar),
            cache,
            "train",
            "--config",
            runFile.toString(),
            "--out",
            dir.resolve("run-broken").toString());

    assertThat(run.code()).as(run.err()).isEqualTo(2);
    assertThat(run.errLines()).as(run.err()).hasSize(1);
    assertThat(run.errLines().get(0))
        .startsWith("polyak: error: PyTorch cannot load (")
        .contains(unpacked.resolve("libtorch.so").toString())
        .contains("): this is the CUDA 12.4 build");
  }
}
