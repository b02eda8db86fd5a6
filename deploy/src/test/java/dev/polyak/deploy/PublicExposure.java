package dev.polyak.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds, in documentation and scripts, the commands that would put a Flink endpoint on a public
 * interface: a container port published on every interface of the host ({@code docker run -p
 * 8081:8081}, {@code -P}, host networking), a {@code kubectl port-forward --address} other than the
 * loopback, a Service of type LoadBalancer or NodePort ({@code kubectl expose}), and a Flink bind
 * address of 0.0.0.0 given on a command line. Shell continuation lines are joined first, so a
 * command spread over several lines is read whole; a problem names the file and the command's first
 * line.
 */
final class PublicExposure {
  private static final Pattern CONTAINER_RUN =
      Pattern.compile("\\b(docker|podman|nerdctl)\\s+(container\\s+)?(run|create)\\b");
  private static final Pattern PUBLISH =
      Pattern.compile("(?:^|\\s)(?:-p|--publish)(?:\\s+|=)(\\S+)");
  private static final Pattern PUBLISH_ALL =
      Pattern.compile("(?:^|\\s)(-P|--publish-all)(?:\\s|$)");
  private static final Pattern HOST_NETWORK = Pattern.compile("--(?:network|net)(?:\\s+|=)host\\b");
  private static final Pattern PORT_FORWARD_ADDRESS =
      Pattern.compile("\\bport-forward\\b.*--address(?:\\s+|=)(\\S+)");
  private static final Pattern EXPOSED_SERVICE =
      Pattern.compile(
          "\\bkubectl\\s+expose\\b|--type[= ](LoadBalancer|NodePort)\\b"
              + "|rest-service\\.exposed\\.type\\S*\\s*[=:]\\s*\"?(LoadBalancer|NodePort)");
  private static final Pattern FLINK_BIND_ALL =
      Pattern.compile("(bind-address|bind-host)\\s*[=:]\\s*\"?0\\.0\\.0\\.0");
  private static final Pattern LOOPBACK =
      Pattern.compile("^(127\\.0\\.0\\.1|localhost|\\[::1\\]):.*");

  private PublicExposure() {}

  /** The problems of one file: {@code file:line: what}. */
  static List<String> problems(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      int first = i;
      StringBuilder command = new StringBuilder();
      while (lines.get(i).stripTrailing().endsWith("\\") && i + 1 < lines.size()) {
        String line = lines.get(i).stripTrailing();
        command.append(line, 0, line.length() - 1).append(' ');
        i++;
      }
      command.append(lines.get(i));
      for (String problem : problems(command.toString())) {
        problems.add(DeployTree.shown(file) + ":" + (first + 1) + ": " + problem);
      }
    }
    return problems;
  }

  /** The problems of one command line. */
  static List<String> problems(String command) {
    List<String> problems = new ArrayList<>();
    if (CONTAINER_RUN.matcher(command).find()) {
      Matcher publish = PUBLISH.matcher(command);
      while (publish.find()) {
        String spec = publish.group(1).replaceAll("^[\"']|[\"']$", "");
        if (!LOOPBACK.matcher(spec).matches()) {
          problems.add(
              "publishes port "
                  + spec
                  + " on every interface of the host; publish it as 127.0.0.1:"
                  + spec);
        }
      }
      if (PUBLISH_ALL.matcher(command).find()) {
        problems.add("publishes every exposed port on every interface of the host (-P)");
      }
      if (HOST_NETWORK.matcher(command).find()) {
        problems.add(
            "runs on the host's network, where Flink's 0.0.0.0 bind is every interface of the host");
      }
    }
    Matcher forward = PORT_FORWARD_ADDRESS.matcher(command);
    if (forward.find()
        && !forward
            .group(1)
            .matches("(127\\.0\\.0\\.1|localhost|::1)(,(127\\.0\\.0\\.1|localhost|::1))*")) {
      problems.add("port-forwards on " + forward.group(1) + ", not the loopback");
    }
    if (EXPOSED_SERVICE.matcher(command).find()) {
      problems.add(
          "exposes a Service outside the cluster (LoadBalancer, NodePort or kubectl expose)");
    }
    if (FLINK_BIND_ALL.matcher(command).find()) {
      problems.add("binds a Flink endpoint to 0.0.0.0 on a command line");
    }
    return problems;
  }
}
