package dev.polyak.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polyak.RunFileException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GridTest {
  private static final String SWEEP =
      """
      model: mlp
      data: x
      steps: 100
      grid:
        batch_size: [8, 16]
      pruning:
        method: random
        ratio: 0.5
        step: 10
        options: {alpha: 1}
      """;

  @Test
  void aCellErrorIsPlacedByItsKeyWhateverItsMessageSays() {
    Grid grid = Grid.read(YamlNode.read(SWEEP), null);
    Map<String, AxisValue> chosen = Map.of("batch_size", grid.axes().get(0).values().get(1));
    Map<String, String> labels = Map.of("batch_size", "16");
    // the messages name no key, in any wording: only the key field can tell the line
    assertThat(placed(grid, "batch_size", chosen, labels))
        .isEqualTo("line 5: grid.batch_size[1]: cell batch_size=16: no");
    assertThat(placed(grid, "steps", chosen, labels))
        .isEqualTo("line 3: steps: cell batch_size=16: no");
    assertThat(placed(grid, "model_options.hidden", chosen, labels))
        .isEqualTo("cell batch_size=16: no");
    assertThat(placed(grid, "pruning.ratio", chosen, labels))
        .isEqualTo("line 8: pruning.ratio: cell batch_size=16: no");
    assertThat(placed(grid, "pruning.step", chosen, labels))
        .isEqualTo("line 9: pruning.step: cell batch_size=16: no");
    assertThat(placed(grid, "pruning.options.alpha", chosen, labels))
        .isEqualTo("line 10: pruning.options.alpha: cell batch_size=16: no");
    // a pruning key the sweep does not set: the block it is missing from
    assertThat(placed(grid, "pruning.final_ratio", chosen, labels))
        .isEqualTo("line 6: pruning: cell batch_size=16: no");
    // the message's position in the generated run file is left out; the error is kept as the cause
    RunFileException located = new RunFileException("steps", "line 3: ", "no");
    assertThat(grid.attribute(located, chosen, labels))
        .hasMessage("line 3: steps: cell batch_size=16: no");
    assertThat(grid.attribute(new RunFileException("data", "no"), chosen, labels))
        .hasMessageStartingWith("line 2:");
  }

  private static String placed(
      Grid grid, String key, Map<String, AxisValue> chosen, Map<String, String> labels) {
    return grid.attribute(new RunFileException(key, "no"), chosen, labels).getMessage();
  }
}
