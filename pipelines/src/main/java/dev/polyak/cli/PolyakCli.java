package dev.polyak.cli;

import dev.polyak.PolyakVersion;
import dev.polyak.bench.BenchCommand;
import java.io.PrintWriter;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code polyak} command line. Its {@code --help}, {@code --version} and version provider reach
 * every subcommand through {@code scope = INHERIT}, so no subcommand repeats them.
 */
@Command(
    name = "polyak",
    scope = CommandLine.ScopeType.INHERIT,
    mixinStandardHelpOptions = true,
    versionProvider = PolyakCli.Version.class,
    description =
        "Polyak-Lojasiewicz regularized pruning of over-parameterized models, as Beam jobs on Flink.",
    subcommands = {
      PreprocessCommand.class,
      DownloadCommand.class,
      ExportCommand.class,
      TrainCommand.class,
      DiagnoseCommand.class,
      StabilityCommand.class,
      CompareCommand.class,
      SweepCommand.class,
      ExperimentCommand.class,
      ReportCommand.class,
      ClusterCommand.class,
      EngineCommand.class,
      QuickstartCommand.class,
      BenchCommand.class,
      CommandLine.HelpCommand.class
    })
public final class PolyakCli implements Runnable {
  /** The environment variable that turns on {@code --verbose} for every command. */
  static final String VERBOSE_ENV = "POLYAK_VERBOSE";

  /** What the one-line error of a user's mistake starts with. */
  static final String ERROR_PREFIX = "polyak: error: ";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--verbose",
      scope = CommandLine.ScopeType.INHERIT,
      description =
          "Print the Java stack trace"
              + " under a one-line error (also with the environment variable "
              + VERBOSE_ENV
              + "=1).")
  boolean verbose;

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /**
   * Runs the command line and returns its exit code: 0 done, 1 failed, 2 bad input or usage, or a
   * file-system problem (one line naming the path, see {@link UserErrors}).
   */
  public static int execute(String... args) {
    return execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
  }

  /**
   * As {@link #execute(String...)}, with picocli's own output (help, errors) going to the given
   * writers.
   */
  public static int execute(PrintWriter out, PrintWriter err, String... args) {
    // Nothing may be downloaded at run time: a missing native library fails loudly instead.
    System.setProperty("ai.djl.offline", "true");
    CommandLine cli = new CommandLine(new PolyakCli()).setOut(out).setErr(err);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parsed) -> {
          if (e instanceof dev.polyak.data.download.DownloadException) {
            commandLine.getErr().println("polyak: download failed: " + e.getMessage());
            return 1;
          }
          Optional<String> line = UserErrors.describe(e);
          if (line.isEmpty()) {
            commandLine.getErr().println("polyak: failed: " + e);
            e.printStackTrace(commandLine.getErr());
            return 1;
          }
          String advice =
              commandLine.getCommand() instanceof RecoveryAdvice command
                      && UserErrors.isFileSystemProblem(e)
                  ? command.recoveryAdvice().map(a -> "; " + a).orElse("")
                  : "";
          commandLine.getErr().println(ERROR_PREFIX + line.get() + advice);
          if (verbose(parsed)) {
            e.printStackTrace(commandLine.getErr());
          }
          return 2;
        });
    return cli.execute(args);
  }

  /**
   * {@code --verbose} given to the command or one of its parents, or {@value #VERBOSE_ENV} set (not
   * to 0 or false).
   */
  private static boolean verbose(CommandLine.ParseResult parsed) {
    for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
      if (p.hasMatchedOption("--verbose")) {
        return true;
      }
    }
    String env = System.getenv(VERBOSE_ENV);
    return env != null && !env.isBlank() && !env.equals("0") && !env.equalsIgnoreCase("false");
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code --version}: the polyak version, the git revision it was built from, and the stack. */
  public static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {
        "polyak " + PolyakVersion.version() + " (git " + PolyakVersion.revision() + ")",
        "Apache Beam "
            + org.apache.beam.sdk.util.ReleaseInfo.getReleaseInfo().getVersion()
            + ", Flink "
            + org.apache.flink.runtime.util.EnvironmentInformation.getVersion()
            + ", Java "
            + System.getProperty("java.version")
      };
    }
  }
}
