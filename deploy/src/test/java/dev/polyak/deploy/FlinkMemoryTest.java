package dev.polyak.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.runtime.jobmanager.JobManagerProcessSpec;
import org.apache.flink.runtime.jobmanager.JobManagerProcessUtils;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.nodes.Node;

/**
 * The task managers' memory, derived by Flink's own memory model from each configuration, is the
 * breakdown the configuration files' comments state, leaves PyTorch its native reservation, and is
 * the same on Kubernetes as in the standalone files.
 */
class FlinkMemoryTest {
  private static final long GIB = 1L << 30;
  private static final long MIB = 1L << 20;

  @Test
  void gpuTaskManagerBreakdownIsTheDocumentedOne() {
    TaskExecutorProcessSpec spec = taskManager(configFile("gpu"));

    assertThat(spec.getTotalProcessMemorySize()).isEqualTo(MemorySize.parse("480g"));
    assertThat(spec.getJvmMetaspaceSize().getBytes()).isEqualTo(1 * GIB);
    assertThat(spec.getJvmOverheadSize().getBytes()).isEqualTo(8 * GIB);
    assertThat(spec.getNetworkMemSize().getBytes()).isEqualTo(1792 * MIB);
    assertThat(spec.getManagedMemorySize().getBytes()).isEqualTo(2 * GIB);
    assertThat(spec.getTaskOffHeapSize().getBytes()).isEqualTo(440 * GIB);
    assertThat(spec.getTaskHeapSize().getBytes()).isEqualTo(27 * GIB);
    assertThat(spec.getNumSlots()).isEqualTo(8);
    // per GPU slot: 55 GiB for PyTorch's native memory, 3.375 GiB of task heap
    assertThat(spec.getTaskOffHeapSize().getBytes() / spec.getNumSlots()).isEqualTo(55 * GIB);
    assertThat(spec.getTaskHeapSize().getBytes() / spec.getNumSlots()).isEqualTo(3456 * MIB);
    // -Xmx under 32 GiB: the JVM keeps compressed object pointers
    assertThat(spec.getJvmHeapMemorySize().getBytes())
        .isEqualTo(27 * GIB + 128 * MIB)
        .isLessThan(32 * GIB);
  }

  @Test
  void cpuTaskManagerBreakdownIsTheDocumentedOne() {
    TaskExecutorProcessSpec spec = taskManager(configFile("cpu"));

    assertThat(spec.getTotalProcessMemorySize()).isEqualTo(MemorySize.parse("56g"));
    assertThat(spec.getJvmMetaspaceSize().getBytes()).isEqualTo(1 * GIB);
    assertThat(spec.getJvmOverheadSize().getBytes()).isEqualTo(2 * GIB);
    assertThat(spec.getNetworkMemSize().getBytes()).isEqualTo(1 * GIB);
    assertThat(spec.getManagedMemorySize().getBytes()).isEqualTo(768 * MIB);
    assertThat(spec.getTaskOffHeapSize().getBytes()).isEqualTo(40 * GIB);
    assertThat(spec.getTaskHeapSize().getBytes()).isEqualTo(11 * GIB);
    assertThat(spec.getNumSlots()).isEqualTo(8);
    assertThat(spec.getTaskOffHeapSize().getBytes() / spec.getNumSlots()).isEqualTo(5 * GIB);
    assertThat(spec.getJvmHeapMemorySize().getBytes()).isEqualTo(11 * GIB + 128 * MIB);
  }

  @Test
  void managedMemoryLeavesEverySlotEnoughForBeamsSorters() {
    for (String variant : new String[] {"cpu", "gpu"}) {
      TaskExecutorProcessSpec spec = taskManager(configFile(variant));
      // Beam's batch group-by-key sorts in managed memory; with none at all a job fails at its
      // first sort
      assertThat(spec.getManagedMemorySize().getBytes() / spec.getNumSlots())
          .as(variant)
          .isGreaterThanOrEqualTo(64 * MIB);
    }
  }

  @Test
  void kubernetesTaskManagersGetTheSameMemoryAsTheStandaloneOnes() {
    for (String variant : new String[] {"cpu", "gpu"}) {
      KubernetesManifests.Manifest manifest =
          KubernetesManifests.get("FlinkDeployment", "polyak-" + variant);
      Node deployment = manifest.document();
      Configuration configuration =
          FlinkSettings.ofFlinkDeployment(manifest.file(), deployment).toConfiguration();
      // The operator turns taskManager.resource.memory into the process size
      String memory =
          YamlDocuments.text(deployment, "spec/taskManager/resource/memory").orElseThrow();
      configuration.set(TaskManagerOptions.TOTAL_PROCESS_MEMORY, MemorySize.parse(memory));

      assertThat(TaskExecutorProcessUtils.processSpecFromConfig(configuration))
          .as(variant)
          .isEqualTo(taskManager(configFile(variant)));
    }
  }

  @Test
  void jobManagersDeriveTheirMemoryFromTheProcessSize() {
    for (String variant : new String[] {"cpu", "gpu"}) {
      Configuration configuration = configFile(variant);
      JobManagerProcessSpec spec =
          JobManagerProcessUtils.processSpecFromConfigWithNewOptionToInterpretLegacyHeap(
              configuration, JobManagerOptions.TOTAL_PROCESS_MEMORY);

      assertThat(spec.getTotalProcessMemorySize()).isEqualTo(MemorySize.parse("4g"));
      assertThat(spec.getJvmMetaspaceSize()).isEqualTo(MemorySize.parse("512m"));
      assertThat(spec.getJvmHeapMemorySize().getBytes()).isGreaterThan(2 * GIB);

      Node deployment = KubernetesManifests.get("FlinkDeployment", "polyak-" + variant).document();
      String memory =
          YamlDocuments.text(deployment, "spec/jobManager/resource/memory").orElseThrow();
      assertThat(MemorySize.parse(memory)).as(variant).isEqualTo(spec.getTotalProcessMemorySize());
    }
  }

  private static Configuration configFile(String variant) {
    return GlobalConfiguration.loadConfiguration(
        DeployTree.deploy().resolve("flink/" + variant).toString());
  }

  private static TaskExecutorProcessSpec taskManager(Configuration configuration) {
    return TaskExecutorProcessUtils.processSpecFromConfig(configuration);
  }
}
