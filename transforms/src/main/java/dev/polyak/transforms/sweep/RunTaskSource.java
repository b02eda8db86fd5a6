package dev.polyak.transforms.sweep;

import dev.polyak.schemas.RunTask;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * A sweep's cells as a bounded source that splits into one split per cell, whatever size the runner
 * asks for. Flink hands input splits to its subtasks one at a time, on request, and the training
 * step is chained to the source: so a slot asks for its next run only when its last one ended —
 * work pulling, which keeps every slot busy however unequal the runs are (a shuffle by key would
 * fix each slot's share in advance, and random keys can put three runs on one slot and one on
 * another).
 */
final class RunTaskSource extends BoundedSource<RunTask> {
  private final List<RunTask> tasks;

  RunTaskSource(List<RunTask> tasks) {
    this.tasks = List.copyOf(tasks);
  }

  @Override
  public List<? extends BoundedSource<RunTask>> split(
      long desiredBundleSizeBytes, PipelineOptions options) {
    if (tasks.size() <= 1) {
      return List.of(this);
    }
    List<RunTaskSource> one = new ArrayList<>(tasks.size());
    for (RunTask task : tasks) {
      one.add(new RunTaskSource(List.of(task)));
    }
    return one;
  }

  @Override
  public long getEstimatedSizeBytes(PipelineOptions options) {
    long bytes = 0;
    for (RunTask t : tasks) {
      bytes += t.getRunYaml().length() + t.getRunFolder().length() + 64;
    }
    return bytes;
  }

  @Override
  public Coder<RunTask> getOutputCoder() {
    return AvroCoder.of(RunTask.class);
  }

  @Override
  public BoundedReader<RunTask> createReader(PipelineOptions options) {
    return new Reader(this);
  }

  private static final class Reader extends BoundedReader<RunTask> {
    private final RunTaskSource source;
    private int next = -1;

    Reader(RunTaskSource source) {
      this.source = source;
    }

    @Override
    public boolean start() {
      return advance();
    }

    @Override
    public boolean advance() {
      next++;
      return next < source.tasks.size();
    }

    @Override
    public RunTask getCurrent() {
      if (next < 0 || next >= source.tasks.size()) {
        throw new NoSuchElementException();
      }
      return source.tasks.get(next);
    }

    @Override
    public void close() {}

    @Override
    public BoundedSource<RunTask> getCurrentSource() {
      return source;
    }
  }
}
