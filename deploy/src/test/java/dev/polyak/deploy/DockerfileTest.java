package dev.polyak.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The image: Flink 1.19 on Java 17, the job jar in lib/, the configuration Flink 1.19 will read.
 */
class DockerfileTest {
  private static final Pattern FLINK_IMAGE =
      Pattern.compile("flink:(\\d+\\.\\d+(?:\\.\\d+)?)(?:-scala_2\\.12)?-java(\\d+)");
  private final DockerfileInstructions docker =
      DockerfileInstructions.read(DeployTree.deploy().resolve("k8s/Dockerfile"));

  @Test
  void baseImageIsTheFlinkVersionOfTheBuildOnJava17() {
    List<DockerfileInstructions.Instruction> from = docker.of("FROM");
    assertThat(from).hasSize(1);

    Matcher image = FLINK_IMAGE.matcher(from.get(0).words().get(0));

    assertThat(image.matches()).as(from.get(0).arguments()).isTrue();
    assertThat(image.group(1))
        .startsWith("1.19")
        // the very Flink release the job jar bundles (the root pom's flink.version, on this
        // classpath)
        .isEqualTo(FlinkKeyCheck.flinkVersion());
    assertThat(image.group(2)).isEqualTo("17");
  }

  @Test
  void theJobJarGoesIntoLibForParentFirstLoading() throws IOException {
    assertThat(docker.of("COPY"))
        .anySatisfy(
            copy ->
                assertThat(copy.words())
                    .containsExactly("pipelines/target/polyak.jar", "/opt/flink/lib/polyak.jar"));
    // the jar the pipelines module builds is named polyak.jar
    assertThat(Files.readString(DeployTree.repository().resolve("pipelines/pom.xml")))
        .contains("<finalName>polyak</finalName>");
    // and the configurations load from lib/ first
    assertThat(FlinkSettings.all())
        .allSatisfy(c -> assertThat(c.value("classloader.resolve-order")).contains("parent-first"));
  }

  @Test
  void everyCopiedSourceExistsOrIsTheBuiltJar() {
    for (DockerfileInstructions.Instruction copy : docker.of("COPY")) {
      List<String> words = copy.words();
      for (String source : words.subList(0, words.size() - 1)) {
        if (!source.startsWith("pipelines/target/")) {
          assertThat(DeployTree.repository().resolve(source)).as(copy.arguments()).isRegularFile();
        }
      }
    }
  }

  @Test
  void theStandaloneConfigurationIsTheOneFlink119Reads() {
    assertThat(docker.arguments()).containsEntry("VARIANT", "gpu");
    assertThat(docker.of("COPY"))
        .anySatisfy(
            copy ->
                assertThat(copy.words())
                    .containsExactly(
                        "deploy/flink/gpu/config.yaml", "/opt/flink/conf/config.yaml"));
    // Flink 1.19 reads a legacy flink-conf.yaml instead of config.yaml when both are there
    assertThat(docker.of("RUN"))
        .anySatisfy(
            run -> assertThat(run.arguments()).contains("rm -f /opt/flink/conf/flink-conf.yaml"));
  }

  private static final Pattern CUDART_PACKAGE = Pattern.compile("cuda-cudart-(\\d+)-(\\d+)");

  @Test
  void theGpuVariantCarriesACudaRuntimeOf124OrNewerOnTheLibraryPath() {
    // DJL picks the CUDA 12.4 build only where the libcudart it loads through JNA is 12.4 or newer
    Matcher cudart =
        docker.of("RUN").stream()
            .map(run -> CUDART_PACKAGE.matcher(run.arguments()))
            .filter(Matcher::find)
            .findFirst()
            .orElseThrow(() -> new AssertionError("no cuda-cudart package installed"));
    int major = Integer.parseInt(cudart.group(1));
    int minor = Integer.parseInt(cudart.group(2));
    assertThat(major * 100 + minor)
        .as("CUDA runtime %d.%d", major, minor)
        .isGreaterThanOrEqualTo(1204);
    assertThat(docker.env("LD_LIBRARY_PATH"))
        .hasValueSatisfying(
            path ->
                assertThat(path.split(":"))
                    .contains("/usr/local/cuda-" + major + "." + minor + "/lib64"));
  }

  @Test
  void gpuVisibilityIsLeftToTheDevicePlugin() {
    assertThat(docker.env("NVIDIA_VISIBLE_DEVICES")).isEmpty();
    assertThat(docker.env("NVIDIA_DRIVER_CAPABILITIES"))
        .hasValueSatisfying(c -> assertThat(c).contains("compute", "utility"));
  }

  @Test
  void theRunEnvironmentIsTheLaunchersOne() throws IOException {
    String launcher = Files.readString(DeployTree.repository().resolve("polyak"));

    assertThat(launcher)
        .contains("MKL_CBWR=\"${MKL_CBWR:-AUTO}\"")
        .contains("OMP_WAIT_POLICY=\"${OMP_WAIT_POLICY:-PASSIVE}\"")
        .contains("GLIBC_TUNABLES=\"${GLIBC_TUNABLES-glibc.malloc.hugetlb=1}\"");
    assertThat(docker.env("MKL_CBWR")).contains("AUTO");
    assertThat(docker.env("OMP_WAIT_POLICY")).contains("PASSIVE");
    assertThat(docker.env("GLIBC_TUNABLES")).contains("glibc.malloc.hugetlb=1");
    assertThat(docker.env("DJL_CACHE_DIR")).isPresent();
  }

  @Test
  void pyTorchIsUnpackedAtBuildTimeWhereTheTaskManagersLook() {
    List<DockerfileInstructions.Instruction> all = docker.all();
    DockerfileInstructions.Instruction extract =
        docker.of("RUN").stream()
            .filter(run -> run.arguments().contains("polyak engine extract"))
            .findFirst()
            .orElseThrow(
                () -> new AssertionError("no RUN line unpacks PyTorch (polyak engine extract)"));
    Matcher cache =
        Pattern.compile("polyak engine extract --cache (\\S+)").matcher(extract.arguments());

    assertThat(cache.find()).as(extract.arguments()).isTrue();
    // the folder it unpacks into is the one the processes of the image look in
    assertThat(docker.env("DJL_CACHE_DIR")).contains(cache.group(1));
    // which nothing overrides
    assertThat(docker.env("ENGINE_CACHE_DIR")).isEmpty();
    // after the jar and the polyak command are in place, and readable by the image's user
    assertThat(all.indexOf(extract))
        .isGreaterThan(all.indexOf(copyOf("/opt/flink/lib/polyak.jar")))
        .isGreaterThan(all.indexOf(copyOf("/usr/local/bin/polyak")));
    assertThat(extract.arguments()).contains("chown -R flink:flink " + cache.group(1));
  }

  private DockerfileInstructions.Instruction copyOf(String target) {
    return docker.of("COPY").stream()
        .filter(copy -> copy.words().get(copy.words().size() - 1).equals(target))
        .findFirst()
        .orElseThrow(() -> new AssertionError("nothing copied to " + target));
  }
}
