package dev.polyak.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code --version} is declared once, on the root, and every command answers it the same way. */
class VersionEverywhereTest {
  @Test
  void everyCommandPrintsTheRootsVersion() {
    CliRun root = CliRun.of("--version");
    assertThat(root.code()).isZero();
    assertThat(root.out()).startsWith("polyak ");

    List<CommandLine> commands = CommandTree.all();
    for (CommandLine command : commands.subList(1, commands.size())) {
      List<String> args = new ArrayList<>(CommandTree.path(command));
      args.add("--version");

      CliRun r = CliRun.of(args.toArray(String[]::new));

      assertThat(r.code()).as(String.join(" ", args)).isZero();
      assertThat(r.out()).as(String.join(" ", args)).isEqualTo(root.out());
    }
    assertThat(commands).as("the walk reached the nested commands").hasSizeGreaterThan(25);
  }
}
