package dev.polyak.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/** Every command of {@code polyak}, walked from the root, without picocli's own {@code help}. */
final class CommandTree {
  private CommandTree() {}

  /** The root and each command below it, parents before their subcommands. */
  static List<CommandLine> all() {
    List<CommandLine> commands = new ArrayList<>();
    add(new CommandLine(new PolyakCli()), commands);
    return commands;
  }

  /** The words after {@code polyak} that name the command, e.g. {@code [bench, train]}. */
  static List<String> path(CommandLine command) {
    List<String> words =
        new ArrayList<>(List.of(command.getCommandSpec().qualifiedName(" ").split(" ")));
    return words.subList(1, words.size());
  }

  private static void add(CommandLine command, List<CommandLine> commands) {
    commands.add(command);
    for (CommandLine sub : command.getSubcommands().values()) {
      if (!sub.getCommandSpec().helpCommand()) {
        add(sub, commands);
      }
    }
  }
}
