package dev.polyak.checkpoint;

import dev.polyak.nn.Compaction;
import dev.polyak.nn.Structure;
import java.nio.file.Path;
import java.util.List;
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
 *
 * <p>A compacted checkpoint (one with {@code compaction/layer<l>} maps) is written as it is, with
 * the kept structures' slices only, or by {@link #writeFullSize} at the model's original widths.
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
    write(out, checkpoint, checkpoint.weights(), checkpoint.masks());
  }

  /**
   * Writes {@code checkpoint} at the model's original widths: each weight a compaction cut is put
   * back to its full shape with the sliced-out structures' elements zero (as are its weight-level
   * mask, if any), and the masks without the compaction maps, i.e. the form a run with {@code
   * compact: false} would have saved had its pruned slices been zero. A checkpoint without
   * compaction maps is written as {@link #write} writes it.
   *
   * @param original the structures of the checkpoint's model as built, with their buffers ({@code
   *     MaskedModel.structuresWithBuffers})
   * @param compaction the compaction the checkpoint's tensors are at
   */
  public static void writeFullSize(
      Path out, Checkpoint checkpoint, List<Structure> original, Compaction compaction) {
    List<Compaction.Cut> cuts =
        compaction.cutsFromFullSize(original, name -> checkpoint.weight(name).shape());
    Map<String, Tensor> weights = new TreeMap<>(checkpoint.weights());
    Map<String, Tensor> masks = new TreeMap<>();
    for (Map.Entry<String, Tensor> e : checkpoint.masks().entrySet()) {
      if (!e.getKey().startsWith(Checkpoint.COMPACTION_PREFIX)) {
        masks.put(e.getKey(), e.getValue());
      }
    }
    for (String name : cuts.stream().map(Compaction.Cut::parameter).distinct().toList()) {
      long[] full = compaction.fullSize(original, name, weights.get(name).shape());
      weights.put(name, expand(cuts, name, weights.get(name), full));
      String weightMask = Checkpoint.WEIGHT_MASK_PREFIX + name;
      if (masks.containsKey(weightMask)) {
        masks.put(weightMask, expand(cuts, name, masks.get(weightMask), full));
      }
    }
    write(out, checkpoint, weights, masks);
  }

  /**
   * {@code compacted} (parameter {@code name}'s tensor, or a mask of its shape) at shape {@code
   * full}, with {@code cuts} undone, the last first.
   */
  private static Tensor expand(
      List<Compaction.Cut> cuts, String name, Tensor compacted, long[] full) {
    List<Compaction.Cut> own = cuts.stream().filter(c -> c.parameter().equals(name)).toList();
    long[][] before = new long[own.size()][];
    long[] at = full;
    for (int i = 0; i < own.size(); i++) {
      before[i] = at;
      at = own.get(i).apply(at);
    }
    float[] values = compacted.floats();
    for (int i = own.size() - 1; i >= 0; i--) {
      values = own.get(i).expand(values, before[i]);
    }
    return Tensor.ofFloats(values, full);
  }

  private static void write(
      Path out, Checkpoint checkpoint, Map<String, Tensor> weights, Map<String, Tensor> masks) {
    SortedMap<String, Tensor> tensors = new TreeMap<>(weights);
    for (Map.Entry<String, Tensor> mask : masks.entrySet()) {
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
