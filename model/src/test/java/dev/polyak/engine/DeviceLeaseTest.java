package dev.polyak.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import org.junit.jupiter.api.Test;

/**
 * One GPU per training worker: leases take the lowest free index, and the preflight names the
 * shortfall.
 */
class DeviceLeaseTest {
  @Test
  void workersLeaseDistinctGpusAndAnExtraWorkerIsRefused() {
    try (DeviceLease first = DeviceLease.acquireGpu(2);
        DeviceLease second = DeviceLease.acquireGpu(2)) {
      assertThat(first.device()).isEqualTo(Device.gpu(0));
      assertThat(second.device()).isEqualTo(Device.gpu(1));
      assertThatThrownBy(() -> DeviceLease.acquireGpu(2))
          .hasMessageContaining("more training slots than it has GPUs (2")
          .hasMessageContaining("taskmanager.numberOfTaskSlots");
      first.close();
      try (DeviceLease again = DeviceLease.acquireGpu(2)) {
        assertThat(again.device()).as("a released GPU is leased again").isEqualTo(Device.gpu(0));
      }
    }
  }

  @Test
  void noVisibleGpuFailsWithWhatToCheck() {
    assertThatThrownBy(() -> DeviceLease.acquireGpu(0))
        .hasMessageContaining("sees no GPU")
        .hasMessageContaining("nvidia.com/gpu");
    assertThat(DeviceLease.acquire("cpu").device()).isEqualTo(Device.cpu());
    assertThatThrownBy(() -> DeviceLease.acquire("tpu")).hasMessageContaining("cpu or gpu");
  }
}
