package dev.polyak.data.manifest;

import dev.polyak.data.image.CifarConfig;
import dev.polyak.data.image.CifarVariant;
import dev.polyak.schemas.FileDigest;
import dev.polyak.schemas.ImageRecord;
import dev.polyak.schemas.ShardResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The manifest of a CIFAR shard set, with per-class counts and per-channel statistics. */
public final class ImageManifest {
  public static final String FORMAT = "polyak.cifar-shards";

  private ImageManifest() {}

  public static Map<String, Object> build(
      CifarVariant variant,
      List<FileDigest> inputs,
      CifarConfig config,
      Map<String, ShardResult> totals,
      List<ShardResult> shards) {
    Map<String, Object> m = Manifests.head(FORMAT, inputs, config.describe(variant));
    Map<String, Object> image = new LinkedHashMap<>();
    image.put("shape", List.of(CifarVariant.CHANNELS, CifarVariant.HEIGHT, CifarVariant.WIDTH));
    image.put("layout", "CHW: 1024 R, 1024 G, 1024 B bytes, each plane 32x32 row-major");
    image.put("dtype", "uint8");
    image.put("channels", List.of("R", "G", "B"));
    m.put("image", image);
    m.put("row_schema", ImageRecord.getClassSchema().toString());
    Map<String, Object> splits = new LinkedHashMap<>();
    for (String split : CifarVariant.SPLITS) {
      ShardResult total = totals.get(split);
      if (total == null) {
        continue;
      }
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("rows", total.getRows());
      s.put("label_counts", total.getLabelCounts());
      if (variant.coarseLabelCount() > 0) {
        s.put("coarse_label_counts", total.getCoarseLabelCounts());
      }
      double pixels = (double) total.getRows() * CifarVariant.HEIGHT * CifarVariant.WIDTH;
      List<Double> mean = new ArrayList<>();
      List<Double> std = new ArrayList<>();
      for (int c = 0; c < CifarVariant.CHANNELS; c++) {
        double mu = total.getRows() == 0 ? 0 : total.getChannelSum().get(c) / pixels;
        double var =
            total.getRows() == 0 ? 0 : total.getChannelSumSquares().get(c) / pixels - mu * mu;
        mean.add(mu);
        std.add(Math.sqrt(Math.max(0, var)));
      }
      s.put("channel_mean", mean);
      s.put("channel_std", std);
      s.put("channel_mean_unit", mean.stream().map(v -> v / 255.0).toList());
      s.put("channel_std_unit", std.stream().map(v -> v / 255.0).toList());
      s.put("channel_sum", total.getChannelSum());
      s.put("channel_sum_squares", total.getChannelSumSquares());
      s.put("shards", Manifests.shards(split, shards));
      splits.put(split, s);
    }
    m.put("splits", splits);
    m.put(
        "statistics_note",
        "channel_mean/std: population statistics over all pixels of the split, in 0-255 units;"
            + " *_unit: divided by 255 (what torchvision's Normalize takes)");
    return m;
  }
}
