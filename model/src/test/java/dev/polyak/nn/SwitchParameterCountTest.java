package dev.polyak.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import dev.polyak.random.RandomStreams;
import org.junit.jupiter.api.Test;

/** Parameter and flop counts of Switch against hand arithmetic, with and without masks. */
class SwitchParameterCountTest {
  /** vocab 40, hidden 16, 2 layers, 4 heads (d = 4), ffn 24, 8 positions, 4 experts. */
  private static final Switch.Config CONFIG = new Switch.Config(40, 16, 2, 4, 24, 8, 4, 1.5, 0.01);

  @Test
  void keptParametersSubtractMaskedExpertsAndHeads() {
    Autograd.ensureEngine();
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Switch model = new Switch(CONFIG, manager, new RandomStreams(1).stream("init"))) {
      // Embeddings 40*16 + 8*16 + LN 32 = 800.
      // A layer: attention 4*(256 + 16) + LN 32 = 1120; router 16*4 = 64;
      // experts 4*(16*24 + 24 + 24*16 + 16) = 3232; LN 32: 4448, twice 8896.
      // MLM head: dense 256 + 16, LN 32, decoder bias 40 (its weight is the token embeddings) =
      // 344.
      assertThat(model.parameters().count()).isEqualTo(800 + 8896 + 344);
      assertThat(model.keptParameters()).isEqualTo(10040);
      assertThat(model.structures()).hasSize(2 * 4 + 2 * 4);

      model.masks().set(model.expertGroup(0), 1, false);
      model.masks().set(model.expertGroup(1), 3, false);
      model.masks().set(1, 0, false);
      // An expert: its FFN 808 and its router column 16; a head: Q, K, V 3*(16*4 + 4) and output
      // rows 4*16.
      assertThat(model.keptParameters()).isEqualTo(10040 - 2 * (808 + 16) - (204 + 64));
    }
  }

  @Test
  void flopsCountOneExpertPerTokenAndTheKeptRouterColumns() {
    Autograd.ensureEngine();
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Switch model = new Switch(CONFIG, manager, new RandomStreams(1).stream("init"))) {
      // A layer over 8 tokens: Q, K, V 2*8*16*48 = 12288, scores and context 2*4*64*4*2 = 4096,
      // output projection 2*8*16*16 = 4096; router 2*8*16*4 = 1024; one expert 2*8*16*24*2 = 12288.
      // MLM head: 2*8*16*16 + 2*8*16*40 = 14336.
      long layer = 12288 + 4096 + 4096 + 1024 + 12288;
      assertThat(model.flopsPerSample()).isEqualTo(2 * layer + 14336);

      model.masks().set(model.expertGroup(0), 1, false);
      assertThat(model.flopsPerSample()).isEqualTo(2 * layer + 14336 - 2 * 8 * 16);
    }
  }

  @Test
  void tinyPresetHasTheHandCountedParameters() {
    Autograd.ensureEngine();
    Switch.Config tiny = Switch.Config.preset("switch-tiny", 1000);
    assertThat(tiny).isEqualTo(new Switch.Config(1000, 128, 2, 2, 512, 128, 4, 1.5, 0.01));
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        Switch model = new Switch(tiny, manager, new RandomStreams(1).stream("init"))) {
      long embeddings = 1000 * 128 + 128 * 128 + 2 * 128; // 144640
      long attention = 4 * (128 * 128 + 128) + 2 * 128; // 66304
      long experts = 128 * 4 + 4 * (128 * 512 + 512 + 512 * 128 + 128); // router 512 + 526848
      long layer = attention + experts + 2 * 128; // 593920
      long mlm =
          128 * 128 + 128 + 2 * 128 + 1000; // 17768: the decoder's weight is the token embeddings
      assertThat(model.parameters().count())
          .isEqualTo(embeddings + 2 * layer + mlm)
          .isEqualTo(1350248);
    }
  }

  @Test
  void presetsMirrorBertAndBadConfigsAreRejected() {
    assertThat(Switch.Config.small(500).encoder()).isEqualTo(Bert.Config.small(500));
    assertThat(Switch.Config.base(500).encoder()).isEqualTo(Bert.Config.base(500));
    assertThat(Switch.Config.base(500).experts()).isEqualTo(4);
    assertThatThrownBy(() -> Switch.Config.preset("switch-huge", 10))
        .hasMessageContaining("switch-huge");
    assertThatThrownBy(() -> new Switch.Config(10, 16, 1, 4, 8, 8, 0, 1.5, 0.01))
        .hasMessageContaining("experts");
    assertThatThrownBy(() -> new Switch.Config(10, 16, 1, 4, 8, 8, 2, 0, 0.01))
        .hasMessageContaining("capacityFactor");
    assertThatThrownBy(() -> new Switch.Config(10, 15, 1, 4, 8, 8, 2, 1.5, 0.01))
        .hasMessageContaining("heads");
  }
}
