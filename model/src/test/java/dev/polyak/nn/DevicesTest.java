package dev.polyak.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.polyak.engine.EngineUnavailableException;
import org.junit.jupiter.api.Test;

class DevicesTest {
  @Test
  void parsesTheDeviceOption() {
    assertThat(Devices.parse("cpu")).isEqualTo(Device.cpu());
    assertThat(Devices.parse("GPU")).isEqualTo(Device.gpu(0));
    assertThat(Devices.parse("gpu:3")).isEqualTo(Device.gpu(3));
    assertThatThrownBy(() -> Devices.parse("gpu:-1")).hasMessageContaining("cpu, gpu or gpu:N");
    assertThatThrownBy(() -> Devices.parse("tpu")).hasMessageContaining("got 'tpu'");
  }

  @Test
  void aGpuTheEngineCannotSeeIsRefusedBeforeAnyWork() {
    Autograd.ensureEngine();
    int visible = Engine.getEngine("PyTorch").getGpuCount();
    assertThat(Devices.require(Device.cpu())).isEqualTo(Device.cpu());
    if (visible
        == 0) { // the CPU build, or a machine without a usable CUDA GPU: the engine preflight says
      // which
      assertThatThrownBy(() -> Devices.require(Device.gpu(0)))
          .isInstanceOf(EngineUnavailableException.class)
          .hasMessageContaining(
              "a GPU was asked for, but PyTorch cannot use one here: this is the");
    } else {
      assertThatThrownBy(() -> Devices.require(Device.gpu(visible)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("sees " + visible + " GPU(s)");
    }
  }
}
