package dev.polyak.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A Dockerfile as its instructions: comments dropped, continuation lines joined, {@code ARG}
 * defaults substituted into later {@code ${NAME}} references (as a build without --build-arg does).
 */
final class DockerfileInstructions {
  /**
   * One instruction.
   *
   * @param keyword upper case: FROM, COPY, RUN, ENV, ARG, ...
   * @param arguments the rest of the instruction, ARG defaults substituted
   */
  record Instruction(String keyword, String arguments) {
    /** The words of the arguments, options such as {@code --chown=flink:flink} left out. */
    List<String> words() {
      List<String> words = new ArrayList<>();
      for (String word : arguments.trim().split("\\s+")) {
        if (!word.startsWith("--")) {
          words.add(word);
        }
      }
      return words;
    }
  }

  private final List<Instruction> instructions;
  private final Map<String, String> arguments;

  private DockerfileInstructions(List<Instruction> instructions, Map<String, String> arguments) {
    this.instructions = List.copyOf(instructions);
    this.arguments = Map.copyOf(arguments);
  }

  static DockerfileInstructions read(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<Instruction> instructions = new ArrayList<>();
    Map<String, String> arguments = new LinkedHashMap<>();
    StringBuilder current = new StringBuilder();
    for (String raw : lines) {
      String line = raw.strip();
      if (current.length() == 0 && (line.isEmpty() || line.startsWith("#"))) {
        continue;
      }
      if (line.startsWith("#")) {
        continue;
      }
      if (line.endsWith("\\")) {
        current.append(line, 0, line.length() - 1).append(' ');
        continue;
      }
      current.append(line);
      String text = current.toString().strip();
      current.setLength(0);
      int space = text.indexOf(' ');
      String keyword =
          (space < 0 ? text : text.substring(0, space)).toUpperCase(java.util.Locale.ROOT);
      String rest = space < 0 ? "" : text.substring(space + 1).strip();
      for (Map.Entry<String, String> argument : arguments.entrySet()) {
        rest = rest.replace("${" + argument.getKey() + "}", argument.getValue());
      }
      if (keyword.equals("ARG") && rest.contains("=")) {
        arguments.put(rest.substring(0, rest.indexOf('=')), rest.substring(rest.indexOf('=') + 1));
      }
      instructions.add(new Instruction(keyword, rest));
    }
    return new DockerfileInstructions(instructions, arguments);
  }

  List<Instruction> all() {
    return instructions;
  }

  List<Instruction> of(String keyword) {
    return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
  }

  /** ARG defaults. */
  Map<String, String> arguments() {
    return arguments;
  }

  /** The value an ENV instruction gives {@code name} ({@code ENV A=1 B=2} or {@code ENV A 1}). */
  Optional<String> env(String name) {
    String found = null;
    for (Instruction env : of("ENV")) {
      String text = env.arguments();
      if (text.startsWith(name + " ")) {
        found = text.substring(name.length() + 1).strip();
      }
      for (String word : text.split("\\s+")) {
        if (word.startsWith(name + "=")) {
          found = word.substring(name.length() + 1);
        }
      }
    }
    return Optional.ofNullable(found);
  }
}
