package dev.polyak.transforms.sweep;

import dev.polyak.schemas.MetricRow;
import dev.polyak.schemas.PruneEvent;
import dev.polyak.schemas.RunRecord;
import dev.polyak.schemas.RunTask;
import dev.polyak.schemas.RungDecision;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * The training stage of a sweep: its cells, handed to the slots one at a time ({@link
 * RunTaskSource}), each trained by {@link TrainRunFn}. Outputs under {@link TrainRunFn}'s tags: run
 * records, metric rows, pruning events, the checkpoints to diagnose and early stopping's decisions
 * — possibly more than once per key when an element was retried.
 */
public final class TrainRuns extends PTransform<PBegin, PCollectionTuple> {
  private final List<RunTask> tasks;
  private final TrainRunFn.Settings settings;

  public TrainRuns(List<RunTask> tasks, TrainRunFn.Settings settings) {
    this.tasks = List.copyOf(tasks);
    this.settings = settings;
  }

  @Override
  public PCollectionTuple expand(PBegin begin) {
    PCollectionTuple out =
        begin
            .apply("Cells", Read.from(new RunTaskSource(tasks)))
            .apply(
                "TrainRun",
                ParDo.of(new TrainRunFn(settings, groups(tasks)))
                    .withOutputTags(
                        TrainRunFn.RUNS,
                        TupleTagList.of(TrainRunFn.METRICS)
                            .and(TrainRunFn.EVENTS)
                            .and(TrainRunFn.CHECKPOINTS)
                            .and(TrainRunFn.DECISIONS)));
    out.get(TrainRunFn.RUNS).setCoder(AvroCoder.of(RunRecord.class));
    out.get(TrainRunFn.METRICS).setCoder(AvroCoder.of(MetricRow.class));
    out.get(TrainRunFn.EVENTS).setCoder(AvroCoder.of(PruneEvent.class));
    out.get(TrainRunFn.CHECKPOINTS).setCoder(StringUtf8Coder.of());
    out.get(TrainRunFn.DECISIONS).setCoder(AvroCoder.of(RungDecision.class));
    return out;
  }

  /** Early stopping's groups: every cell's run id, by config. */
  static Map<String, List<String>> groups(List<RunTask> tasks) {
    Map<String, List<String>> groups = new LinkedHashMap<>();
    for (RunTask task : tasks) {
      groups.computeIfAbsent(task.getConfig(), c -> new ArrayList<>()).add(task.getRunId());
    }
    return groups;
  }
}
