package dev.polyak.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.polyak.nn.MaskedModel;
import dev.polyak.nn.Masks;
import dev.polyak.nn.Parameters;
import dev.polyak.nn.Structure;
import java.util.ArrayList;
import java.util.List;

/**
 * A hand-built model for tests: parameters, structures and masks held as data; subclasses add
 * parameters and structures in their constructor and define the forward pass. No soft gates.
 */
public abstract class TestModel implements MaskedModel {
  protected final Parameters parameters;
  protected final Masks masks;
  protected final List<Structure> structures = new ArrayList<>();

  protected TestModel(NDManager manager, int... structuresPerLayer) {
    parameters = new Parameters(manager);
    masks = new Masks(structuresPerLayer);
  }

  @Override
  public Parameters parameters() {
    return parameters;
  }

  @Override
  public List<Structure> structures() {
    return structures;
  }

  @Override
  public Masks masks() {
    return masks;
  }

  @Override
  public long keptParameters() {
    return parameters.count();
  }

  @Override
  public long flopsPerSample() {
    return 0;
  }

  @Override
  public void setGate(int layer, NDArray gate) {
    throw new UnsupportedOperationException("the test models have no soft gates");
  }

  @Override
  public void clearGates() {}

  @Override
  public void close() {
    parameters.close();
  }
}
