package dev.polyak.transforms.sweep;

import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Exactly one element per key: what makes a sweep's reports hold one record per (run_id, step[,
 * structure]) even when a training element ran twice (a retried bundle, a lost task manager, a
 * sweep started again) and emitted its records twice. The copies of one key are the same record
 * read back from the same run folder, so which one is kept does not matter; the count of dropped
 * copies is the {@code duplicatesDropped} metric.
 */
public final class KeepOnePerKey<T> extends PTransform<PCollection<T>, PCollection<T>> {
  private final SerializableFunction<T, String> key;

  private KeepOnePerKey(SerializableFunction<T, String> key) {
    this.key = key;
  }

  public static <T> KeepOnePerKey<T> by(SerializableFunction<T, String> key) {
    return new KeepOnePerKey<>(key);
  }

  @Override
  public PCollection<T> expand(PCollection<T> input) {
    return input
        .apply("KeyByIdentity", WithKeys.of(key).withKeyType(TypeDescriptors.strings()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), input.getCoder()))
        .apply("GroupCopies", GroupByKey.create())
        .apply("KeepFirst", ParDo.of(new FirstFn<T>()))
        .setCoder(input.getCoder());
  }

  static final class FirstFn<T> extends DoFn<KV<String, Iterable<T>>, T> {
    private final Counter dropped = Metrics.counter(KeepOnePerKey.class, "duplicatesDropped");

    @ProcessElement
    public void process(@Element KV<String, Iterable<T>> copies, OutputReceiver<T> out) {
      boolean first = true;
      for (T copy : copies.getValue()) {
        if (first) {
          out.output(copy);
          first = false;
        } else {
          dropped.inc();
        }
      }
    }
  }
}
