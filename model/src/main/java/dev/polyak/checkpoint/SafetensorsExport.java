package dev.polyak.checkpoint;

import java.nio.file.Path;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Writes a checkpoint's model as a plain safetensors file for PyTorch users ({@code polyak
 * export}).
 *
 * <p>The file holds the weights under their own names ({@code <name>}) and the structural masks
 * under {@code mask/<name>}, with the names, dtypes and shapes the model gave them; optimizer state
 * and random cursors are left out. The metadata holds {@code format = "pt"} (what Hugging Face
 * loaders expect), {@code polyak.step}, {@code polyak.run_spec} (the full RunSpec JSON) and {@code
 * polyak.version}. In Python: {@code safetensors.torch.load_file(path)} gives a dict of tensors;
 * apply a mask with {@code w * mask} after broadcasting it over the structure's dimension. The file
 * is deterministic for a given checkpoint and appears atomically.
 */
public final class SafetensorsExport {
  static final String MASK_PREFIX = "mask/";

  private SafetensorsExport() {}

  /**
   * Writes the weights and masks of {@code checkpoint} to {@code out}.
   *
   * @throws IllegalArgumentException if a weight is itself named {@code mask/...} and collides with
   *     an exported mask
   */
  public static void write(Path out, Checkpoint checkpoint) {
    SortedMap<String, Tensor> tensors = new TreeMap<>(checkpoint.weights());
    for (Map.Entry<String, Tensor> mask : checkpoint.masks().entrySet()) {
      String name = MASK_PREFIX + mask.getKey();
      if (tensors.put(name, mask.getValue()) != null) {
        throw new IllegalArgumentException(
            "weight '" + name + "' collides with the exported mask of '" + mask.getKey() + "'");
      }
    }
    SortedMap<String, String> metadata = new TreeMap<>();
    metadata.put("format", "pt");
    metadata.put(CheckpointCodec.KEY_STEP, Long.toString(checkpoint.step()));
    metadata.put(CheckpointCodec.KEY_RUN_SPEC, checkpoint.runSpecJson());
    metadata.put(CheckpointCodec.KEY_VERSION, checkpoint.polyakVersion());
    Safetensors.write(out, tensors, metadata);
  }
}
