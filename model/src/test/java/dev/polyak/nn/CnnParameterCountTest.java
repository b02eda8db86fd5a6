package dev.polyak.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.polyak.random.RandomStreams;
import org.junit.jupiter.api.Test;

/**
 * The full-size presets have the trainable parameters of the reference PyTorch models in {@code
 * anchors/cnn.py}: {@code sum(p.numel() for p in model.parameters())} printed 15 253 578 (VGG16, 10
 * classes), 15 299 748 (100 classes), 853 018 (ResNetCifar(9), 10 classes) and 858 868 (100
 * classes) with PyTorch 1.13. PyTorch counts batch-norm gains and shifts, not running statistics;
 * here those are buffers, outside {@link Parameters#count()}.
 */
class CnnParameterCountTest {
  @Test
  void vgg16MatchesTheHandCountAndPyTorch() {
    Autograd.ensureEngine();
    // Convolution weights in*out*9:
    //   3*64*9 = 1,728; 64*64*9 = 36,864; 64*128*9 = 73,728; 128*128*9 = 147,456;
    //   128*256*9 = 294,912; 256*256*9 = 589,824 (x2); 256*512*9 = 1,179,648; 512*512*9 = 2,359,296
    // (x5)
    //   -> 14,710,464
    // Convolution biases: 64+64+128+128+256*3+512*6 = 4,224; batch norm gains and shifts: 2*4,224 =
    // 8,448
    // Classifier: 512*512+512 = 262,656 (x2) + 512*classes + classes
    long features = 14_710_464 + 4_224 + 8_448;
    long classifier = 2 * 262_656;
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      for (int classes : new int[] {10, 100}) {
        try (Vgg16 model =
            new Vgg16(
                Vgg16.Config.cifar(classes),
                manager,
                new RandomStreams(1).stream(RandomStreams.INIT),
                new RandomStreams(1).stream(RandomStreams.DROPOUT))) {
          long expected = features + classifier + 512L * classes + classes;
          assertThat(model.parameters().count())
              .isEqualTo(expected)
              .isEqualTo(classes == 10 ? 15_253_578 : 15_299_748);
          assertThat(model.keptParameters()).isEqualTo(expected);
          // Running mean and variance: 2 * 4,224 buffers.
          assertThat(
                  model.parameters().buffers().values().stream()
                      .mapToLong(a -> a.getShape().size())
                      .sum())
              .isEqualTo(8_448);
          assertThat(model.masks().layers()).isEqualTo(13);
          assertThat(model.structures()).hasSize(4_224);
        }
      }
    }
  }

  @Test
  void resNet56MatchesTheHandCountAndPyTorch() {
    Autograd.ensureEngine();
    // Stem: 3*16*9 + 2*16 = 464
    // Stage 1: 9 blocks of two 16->16 convolutions: 18 * (16*16*9 + 2*16) = 42,048
    // Stage 2: 16*32*9 + 17 * 32*32*9 + 18 * 2*32 = 4,608 + 156,672 + 1,152 = 162,432
    // Stage 3: 32*64*9 + 17 * 64*64*9 + 18 * 2*64 = 18,432 + 626,688 + 2,304 = 647,424
    // Classifier: 64*classes + classes
    long body = 464 + 42_048 + 162_432 + 647_424;
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      for (int classes : new int[] {10, 100}) {
        try (ResNet56 model =
            new ResNet56(
                ResNet56.Config.cifar(classes),
                manager,
                new RandomStreams(1).stream(RandomStreams.INIT))) {
          long expected = body + 64L * classes + classes;
          assertThat(model.parameters().count())
              .isEqualTo(expected)
              .isEqualTo(classes == 10 ? 853_018 : 858_868);
          assertThat(model.keptParameters()).isEqualTo(expected);
          assertThat(model.config().depth()).isEqualTo(56);
          assertThat(model.masks().layers()).isEqualTo(27);
          assertThat(model.structures()).hasSize(9 * (16 + 32 + 64));
          // 2*9*(3*16*32^2 + 18*16*16*32^2 + (16*32 + 17*32*32)*16^2 + (32*64 + 17*64*64)*8^2) +
          // 2*64*classes:
          // 125.5 M multiply-adds for 10 classes, the usual ResNet-56 figure.
          long multiplyAdds =
              9L
                      * (3 * 16 * 1024
                          + 18 * 16 * 16 * 1024
                          + (16 * 32 + 17 * 32 * 32) * 256
                          + (32 * 64 + 17 * 64 * 64) * 64)
                  + 64L * classes;
          assertThat(model.flopsPerSample()).isEqualTo(2 * multiplyAdds);
        }
      }
    }
  }
}
