package dev.polyak.checkpoint;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/** What a safetensors file holds: tensors by name (in name order) and the string metadata. */
public record SafetensorsContent(
    SortedMap<String, Tensor> tensors, SortedMap<String, String> metadata) {

  public SafetensorsContent {
    tensors = Collections.unmodifiableSortedMap(new TreeMap<>(tensors));
    metadata = Collections.unmodifiableSortedMap(new TreeMap<>(metadata));
  }

  public SafetensorsContent(Map<String, Tensor> tensors, Map<String, String> metadata) {
    this(new TreeMap<>(tensors), new TreeMap<>(metadata));
  }
}
