package dev.polyak.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * In every parent's {@code --help} (the root, bench, cluster, engine, preprocess) each command is
 * listed with one short line: its whole summary, a sentence that ends with a full stop; the details
 * stay in the command's own {@code --help}.
 */
class CommandSummaryTest {
  /** A listing line: two spaces, the command's name, at least two spaces, its summary. */
  private static final Pattern ENTRY = Pattern.compile("  (\\S+) {2,}(\\S.*)");

  @Test
  void everyParentListsEachCommandOnOneLineWithItsWholeSummary() {
    int parents = 0;
    for (CommandLine parent : CommandTree.all()) {
      if (parent.getSubcommands().isEmpty()) {
        continue;
      }
      parents++;
      List<String> args = new ArrayList<>(CommandTree.path(parent));
      args.add("--help");
      String where = "polyak " + String.join(" ", args);

      CliRun r = CliRun.of(args.toArray(String[]::new));

      assertThat(r.code()).as(where).isZero();
      Map<String, String> listed = listing(r.out(), where);
      assertThat(listed.keySet())
          .as(where)
          .containsExactlyElementsOf(parent.getSubcommands().keySet());
      for (Map.Entry<String, CommandLine> sub : parent.getSubcommands().entrySet()) {
        String summary = summary(sub.getValue());
        assertThat(listed.get(sub.getKey())).as("%s: %s", where, sub.getKey()).isEqualTo(summary);
        assertThat(summary)
            .as("%s: %s, one sentence", where, sub.getKey())
            .endsWith(".")
            .doesNotContain(". ");
      }
    }
    assertThat(parents).as("root, preprocess, cluster, engine, bench").isGreaterThanOrEqualTo(5);
  }

  @Test
  void theDetailsStayInTheCommandsOwnHelp() {
    CliRun root = CliRun.of("--help");
    CliRun train = CliRun.of("train", "--help");

    assertThat(root.out()).doesNotContain("Exit code 3");
    assertThat(train.out())
        .contains("Train one model as a run file describes it, with checkpoints.")
        .contains("Exit code 3 when the");
  }

  /** The first line of the header, else of the description: what picocli lists for a command. */
  private static String summary(CommandLine command) {
    CommandLine.Model.UsageMessageSpec usage = command.getCommandSpec().usageMessage();
    return usage.header().length > 0 ? usage.header()[0] : usage.description()[0];
  }

  /**
   * The "Commands:" section of a usage message, name to text; every line of it must be an entry (a
   * line that continues a wrapped summary starts with more than two spaces and fails here).
   */
  private static Map<String, String> listing(String usage, String where) {
    List<String> lines = usage.lines().toList();
    int start = lines.indexOf("Commands:");
    assertThat(start).as(where + " has a Commands: section").isNotNegative();
    Map<String, String> listed = new LinkedHashMap<>();
    for (String line : lines.subList(start + 1, lines.size())) {
      if (line.isBlank()) {
        break;
      }
      Matcher entry = ENTRY.matcher(line);
      assertThat(entry.matches())
          .as("%s: one line per command, not a wrapped one: '%s'", where, line)
          .isTrue();
      assertThat(line.length()).as(where + ": " + line).isLessThanOrEqualTo(80);
      listed.put(entry.group(1), entry.group(2).strip());
    }
    return listed;
  }
}
