package dev.polyak.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.polyak.checkpoint.Safetensors;
import dev.polyak.checkpoint.Tensor;
import dev.polyak.nn.MlmModel;
import dev.polyak.testing.TestShardSets;
import dev.polyak.train.RestoredRun;
import dev.polyak.train.RunSpec;
import dev.polyak.train.TrainingRun;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code polyak export} of a BERT run whose pruned heads were sliced out: the compacted file (the
 * default) loads at the smaller widths into a plain numpy forward pass written from the model's
 * description alone (test resource {@code export/bert_forward.py}), which must give polyak's own
 * logits; {@code --full-size} puts every kept head's slices back at its original place and zeros at
 * the pruned heads'.
 */
class ExportCompactedTest {
  @TempDir static Path dir;
  static Path run;
  static Path checkpoint;
  static Path switchCheckpoint;
  static Path text;

  private static final int HIDDEN = 32;
  private static final int HEADS = 4;
  private static final int HEAD_SIZE = HIDDEN / HEADS;

  /** Two layers of four heads; half of the eight pruned by grad-score at step 8, then compacted. */
  @BeforeAll
  static void train() throws Exception {
    text = TestShardSets.syntheticWikiText(dir);
    RunSpec spec =
        RunSpec.parse(
            "model: bert-tiny\nmodel_options: {hidden: "
                + HIDDEN
                + ", layers: 2, heads: "
                + HEADS
                + ", ffn: 64}\n"
                + "batch_size: 4\nsteps: 12\neval_every: 4\ncheckpoint_every: 4\n"
                + "eval_samples: 8\ndata: "
                + text
                + "\npruning: {method: grad-score, step: 8, ratio: 0.5, scoring_samples: 8,"
                + " scoring_batch: 4}\n",
            dir);
    run = dir.resolve("run");
    TrainingRun.Result result = TrainingRun.run(spec, run, Device.cpu(), r -> {});
    assertThat(result.pruneSteps()).containsExactly(8L);
    checkpoint = run.resolve("checkpoints/ckpt-0000000012.safetensors");

    // Switch: two of the four experts of each layer pruned at step 8, sliced out of the tensors
    RunSpec switchSpec =
        RunSpec.parse(
            "model: switch-tiny\nmodel_options: {hidden: "
                + HIDDEN
                + ", layers: 2, heads: 2, ffn: 32, experts: 4}\n"
                + "batch_size: 4\nsteps: 12\neval_every: 4\ncheckpoint_every: 4\n"
                + "eval_samples: 8\ndata: "
                + text
                + "\npruning: {method: grad-score, step: 8, ratio: 0.5, scoring_samples: 8,"
                + " scoring_batch: 4, allocation: per-layer}\n",
            dir);
    Path switchRun = dir.resolve("switch-run");
    assertThat(TrainingRun.run(switchSpec, switchRun, Device.cpu(), r -> {}).pruneSteps())
        .containsExactly(8L);
    switchCheckpoint = switchRun.resolve("checkpoints/ckpt-0000000012.safetensors");
  }

  @Test
  void numpyRunsTheCompactedExportAtTheSmallerWidthsAsPolyakDoes() throws Exception {
    assumeThat(dev.polyak.testing.Python.hasNumpy())
        .as("python3 with numpy is installed (the numpy forward pass needs it)")
        .isTrue();
    Path out = export("compact.safetensors");
    Map<String, Tensor> t = Safetensors.read(out).tensors();
    long kept0 = count(t.get("mask/layer0").floats());
    assertThat(kept0).isLessThan(HEADS);
    assertThat(t.get("layer0.attention.query.weight").shape())
        .containsExactly(HIDDEN, kept0 * HEAD_SIZE);

    assertMatchesNumpy(checkpoint, "bert_forward.py", "compact.safetensors", "full.safetensors");
  }

  /**
   * A Switch run whose pruned experts were sliced out: the export holds empty tensors for them and
   * a router of the kept experts' columns, and a numpy forward pass (test resource {@code
   * export/switch_forward.py}, routing written from the model's description) gives polyak's logits
   * from it, and from its {@code --full-size} form.
   */
  @Test
  void numpyRoutesTheCompactedSwitchExportAsPolyakDoes() throws Exception {
    assumeThat(dev.polyak.testing.Python.hasNumpy())
        .as("python3 with numpy is installed (the numpy forward pass needs it)")
        .isTrue();
    Path out = export(switchCheckpoint, "switch.safetensors");
    Map<String, Tensor> t = Safetensors.read(out).tensors();
    for (int l = 0; l < 2; l++) {
      float[] mask = t.get("mask/layer" + (2 + l)).floats();
      assertThat(count(mask)).as("layer %d experts kept", l).isEqualTo(2);
      assertThat(t.get("layer" + l + ".ffn.router.weight").shape()).containsExactly(HIDDEN, 2);
      for (int e = 0; e < 4; e++) {
        assertThat(t.get("layer" + l + ".ffn.expert" + e + ".in.weight").shape())
            .containsExactly(mask[e] != 0f ? HIDDEN : 0, 32);
      }
    }
    assertMatchesNumpy(
        switchCheckpoint, "switch_forward.py", "switch.safetensors", "switch-full.safetensors");
  }

  /**
   * Polyak's logits of {@code ckpt} against {@code script}'s numpy forward pass of its export
   * {@code compact} (written already) and of its {@code --full-size} export {@code full}.
   */
  private static void assertMatchesNumpy(Path ckpt, String script, String compact, String full)
      throws Exception {
    long vocab =
        Safetensors.read(dir.resolve(compact)).tensors().get("embeddings.token").shape()[0];
    long[] ids = new long[12];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = (7L * i + 3) % vocab;
    }
    float[][] polyak = polyakLogits(ckpt, ids);
    double scale = 0;
    for (float[] row : polyak) {
      for (float v : row) {
        scale = Math.max(scale, Math.abs(v));
      }
    }
    assertThat(scale).isGreaterThan(0);
    for (String file : List.of(compact, full)) {
      if (file.equals(full)) {
        export(ckpt, file, "--full-size");
      }
      double[][] numpy = numpyLogits(script, dir.resolve(file), ids);
      assertThat(numpy.length).as(file).isEqualTo(polyak.length);
      for (int i = 0; i < polyak.length; i++) {
        assertThat(numpy[i]).as(file).hasSize(polyak[i].length);
        for (int j = 0; j < polyak[i].length; j++) {
          // polyak in float32 against numpy in float64: within 3e-7 of the largest logit (about
          // 2.5 float32 ulps). Measured: 3.8e-7 absolute at a largest logit of 8.06 (4.7e-8 of
          // it); the same script with the tanh GELU instead of the erf one is off by 4.5e-6, so a
          // looser bound would not tell the two apart.
          assertThat(Math.abs(numpy[i][j] - polyak[i][j]))
              .as("%s logit [%d, %d]", file, i, j)
              .isLessThanOrEqualTo(3e-7 * scale);
        }
      }
    }
  }

  @Test
  void fullSizePutsEachKeptSliceBackAndZerosThePrunedOnes() throws Exception {
    Map<String, Tensor> compact = Safetensors.read(export("compact2.safetensors")).tensors();
    Map<String, Tensor> full =
        Safetensors.read(export("full2.safetensors", "--full-size")).tensors();
    assertThat(full.keySet()).noneMatch(n -> n.startsWith("mask/compaction/"));
    int checked = 0;
    for (int l = 0; l < 2; l++) {
      float[] positions = compact.get("mask/compaction/layer" + l).floats();
      float[] mask = full.get("mask/layer" + l).floats();
      assertThat(mask).isEqualTo(compact.get("mask/layer" + l).floats());
      String p = "layer" + l + ".attention.";
      for (int head = 0; head < HEADS; head++) {
        int at = (int) positions[head];
        assertThat(at < 0)
            .as("layer %d head %d sliced out iff pruned", l, head)
            .isEqualTo(mask[head] == 0f);
        for (String name : List.of("query.weight", "key.weight", "value.weight")) {
          checked += compareColumns(compact.get(p + name), full.get(p + name), head, at);
        }
        for (String name : List.of("query.bias", "key.bias", "value.bias")) {
          checked += compareColumns(row(compact.get(p + name)), row(full.get(p + name)), head, at);
        }
        checked +=
            compareColumns(
                transpose(compact.get(p + "output.weight")),
                transpose(full.get(p + "output.weight")),
                head,
                at);
      }
    }
    assertThat(checked).isEqualTo(2 * HEADS * 7);
    // every other tensor is as the checkpoint holds it
    java.util.regex.Pattern cut =
        java.util.regex.Pattern.compile(
            "layer\\d+\\.attention\\.((query|key|value)\\.(weight|bias)|output\\.weight)|mask/compaction/.*");
    for (Map.Entry<String, Tensor> e : compact.entrySet()) {
      if (!cut.matcher(e.getKey()).matches()) {
        assertThat(full.get(e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
      }
    }
    assertThat(full).hasSize(compact.size() - 2);
  }

  @Test
  void fullSizeLeavesAnUncompactedCheckpointAsItIsAndTakesMovedShardsFromData() throws Exception {
    Path before = run.resolve("checkpoints/ckpt-0000000004.safetensors");
    Path plain = dir.resolve("before.safetensors");
    Path full = dir.resolve("before-full.safetensors");
    for (Path out : List.of(plain, full)) {
      CliRun r =
          CliRun.of(
              out == plain
                  ? new String[] {
                    "export", "--checkpoint", before.toString(), "--out", out.toString()
                  }
                  : new String[] {
                    "export",
                    "--checkpoint",
                    before.toString(),
                    "--full-size",
                    "--out",
                    out.toString()
                  });
      assertThat(r.code()).as(r.toString()).isZero();
    }
    assertThat(Files.readAllBytes(full)).isEqualTo(Files.readAllBytes(plain));

    // shards that are not where the run trained: --data names them, or the error names the path
    Path moved = dir.resolve("moved-shards");
    dev.polyak.io.FileTrees.copyRecursively(text, moved);
    Path viaData = export("via-data.safetensors", "--full-size", "--data", moved.toString());
    assertThat(Files.readAllBytes(viaData))
        .isEqualTo(Files.readAllBytes(export("full3.safetensors", "--full-size")));
    Path missing = dir.resolve("no-shards-here");
    CliRun r =
        CliRun.of(
            "export",
            "--checkpoint",
            checkpoint.toString(),
            "--full-size",
            "--data",
            missing.toString(),
            "--out",
            dir.resolve("never.safetensors").toString());
    assertThat(r.code()).as(r.toString()).isEqualTo(2);
    assertThat(r.err()).contains(missing.toString());
    assertThat(dir.resolve("never.safetensors")).doesNotExist();
  }

  /**
   * Columns {@code [head d, (head+1) d)} of {@code full} against columns {@code [at d, (at+1) d)}
   * of {@code compact} ({@code at} ≥ 0), or zero ({@code at} = -1); both {@code [rows, columns]}.
   */
  private static int compareColumns(Tensor compact, Tensor full, int head, int at) {
    long rows = full.shape()[0];
    assertThat(full.shape()).containsExactly(rows, HIDDEN);
    assertThat(compact.shape()[0]).isEqualTo(rows);
    float[] c = compact.floats();
    float[] f = full.floats();
    int cw = (int) compact.shape()[1];
    for (int r = 0; r < rows; r++) {
      for (int k = 0; k < HEAD_SIZE; k++) {
        float value = f[r * HIDDEN + head * HEAD_SIZE + k];
        if (at < 0) {
          assertThat(value).isZero();
        } else {
          assertThat(value).isEqualTo(c[r * cw + at * HEAD_SIZE + k]);
        }
      }
    }
    return 1;
  }

  private static Tensor row(Tensor vector) {
    return Tensor.ofFloats(vector.floats(), 1, vector.shape()[0]);
  }

  private static Tensor transpose(Tensor m) {
    int rows = (int) m.shape()[0];
    int cols = (int) m.shape()[1];
    float[] v = m.floats();
    float[] t = new float[v.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        t[c * rows + r] = v[r * cols + c];
      }
    }
    return Tensor.ofFloats(t, cols, rows);
  }

  private static Path export(String name, String... extra) {
    return export(checkpoint, name, extra);
  }

  private static Path export(Path ckpt, String name, String... extra) {
    Path out = dir.resolve(name);
    List<String> args =
        new java.util.ArrayList<>(List.of("export", "--checkpoint", ckpt.toString()));
    args.addAll(List.of(extra));
    args.addAll(List.of("--out", out.toString()));
    CliRun r = CliRun.of(args.toArray(String[]::new));
    assertThat(r.code()).as(r.toString()).isZero();
    return out;
  }

  /** Polyak's own logits of the checkpoint, restored as a resume restores it. */
  private static float[][] polyakLogits(Path ckpt, long[] ids) {
    try (RestoredRun restored = RestoredRun.open(ckpt, null, Device.cpu());
        NDManager manager = NDManager.newBaseManager(Device.cpu())) {
      MlmModel model = (MlmModel) restored.trainer().model();
      assertThat(model.compaction().isIdentity()).isFalse();
      NDArray logits = model.forward(manager.create(ids).reshape(1, ids.length));
      long vocab = logits.getShape().get(2);
      float[] flat = logits.toFloatArray();
      float[][] out = new float[ids.length][(int) vocab];
      for (int i = 0; i < ids.length; i++) {
        System.arraycopy(flat, (int) (i * vocab), out[i], 0, (int) vocab);
      }
      return out;
    }
  }

  private static double[][] numpyLogits(String scriptName, Path model, long[] ids)
      throws Exception {
    // the Switch script imports the BERT one's functions from its own folder
    for (String resource : List.of("bert_forward.py", scriptName)) {
      try (InputStream in = ExportCompactedTest.class.getResourceAsStream("/export/" + resource)) {
        Files.write(dir.resolve(resource), in.readAllBytes());
      }
    }
    Path script = dir.resolve(scriptName);
    Path out = dir.resolve(model.getFileName() + ".logits.txt");
    StringBuilder idList = new StringBuilder();
    for (long id : ids) {
      idList.append(idList.length() == 0 ? "" : ",").append(id);
    }
    Process process =
        new ProcessBuilder(
                "python3", script.toString(), model.toString(), idList.toString(), out.toString())
            .redirectErrorStream(true)
            .start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    return Files.readAllLines(out).stream()
        .map(
            line ->
                java.util.Arrays.stream(line.trim().split(" "))
                    .mapToDouble(Double::parseDouble)
                    .toArray())
        .toArray(double[][]::new);
  }

  private static long count(float[] mask) {
    long n = 0;
    for (float v : mask) {
      n += v != 0f ? 1 : 0;
    }
    return n;
  }
}
