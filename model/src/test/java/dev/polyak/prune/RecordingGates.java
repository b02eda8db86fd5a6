package dev.polyak.prune;

/** A model that records the values of every gate set on it, by layer. */
final class RecordingGates implements dev.polyak.nn.MaskedModel {
  final dev.polyak.nn.MaskedModel model;
  final java.util.Map<Integer, java.util.List<Float>> gates = new java.util.TreeMap<>();

  RecordingGates(dev.polyak.nn.MaskedModel model) {
    this.model = model;
  }

  @Override
  public dev.polyak.nn.Parameters parameters() {
    return model.parameters();
  }

  @Override
  public java.util.List<dev.polyak.nn.Structure> structures() {
    return model.structures();
  }

  @Override
  public dev.polyak.nn.Masks masks() {
    return model.masks();
  }

  @Override
  public void setGate(int layer, ai.djl.ndarray.NDArray gate) {
    for (float g : gate.toFloatArray()) {
      gates.computeIfAbsent(layer, l -> new java.util.ArrayList<>()).add(g);
    }
    model.setGate(layer, gate);
  }

  @Override
  public void clearGates() {
    model.clearGates();
  }

  @Override
  public ai.djl.ndarray.NDArray forward(ai.djl.ndarray.NDArray input) {
    return model.forward(input);
  }

  @Override
  public long keptParameters() {
    return model.keptParameters();
  }

  @Override
  public long flopsPerSample() {
    return model.flopsPerSample();
  }

  @Override
  public void evaluation() {
    model.evaluation();
  }

  @Override
  public void close() {
    model.close();
  }
}
