package dev.polyak.cli;

import dev.polyak.PolyakVersion;
import dev.polyak.data.BadInputException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code polyak} command line. */
@Command(name = "polyak", mixinStandardHelpOptions = true, versionProvider = PolyakCli.Version.class,
    description = "Polyak-Lojasiewicz regularized pruning of over-parameterized models, as Beam jobs on Flink.",
    subcommands = {
        PreprocessCommand.class,
        DownloadCommand.class,
        ExportCommand.class,
        TrainCommand.class,
        DiagnoseCommand.class,
        StabilityCommand.class,
        CompareCommand.class,
        SweepCommand.class,
        ReportCommand.class,
        ClusterCommand.class,
        EngineCommand.class,
        QuickstartCommand.class,
        BenchCommand.class,
        CommandLine.HelpCommand.class})
public final class PolyakCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the command line and returns its exit code: 0 done, 1 failed, 2 bad input or usage. */
  public static int execute(String... args) {
    return execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
  }

  /** As {@link #execute(String...)}, with picocli's own output (help, errors) going to the given writers. */
  public static int execute(PrintWriter out, PrintWriter err, String... args) {
    // Nothing may be downloaded at run time: a missing native library fails loudly instead.
    System.setProperty("ai.djl.offline", "true");
    CommandLine cli = new CommandLine(new PolyakCli()).setOut(out).setErr(err);
    cli.setExecutionExceptionHandler((e, commandLine, parsed) -> {
      if (e instanceof BadInputException || e instanceof IllegalArgumentException
          || e instanceof dev.polyak.checkpoint.CheckpointFormatException) {
        commandLine.getErr().println("polyak: error: " + e.getMessage());
        return 2;
      }
      if (e instanceof dev.polyak.data.download.DownloadException) {
        commandLine.getErr().println("polyak: download failed: " + e.getMessage());
        return 1;
      }
      commandLine.getErr().println("polyak: failed: " + e);
      e.printStackTrace(commandLine.getErr());
      return 1;
    });
    return cli.execute(args);
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
        "Apache Beam " + org.apache.beam.sdk.util.ReleaseInfo.getReleaseInfo().getVersion()
            + ", Flink " + org.apache.flink.runtime.util.EnvironmentInformation.getVersion()
            + ", Java " + System.getProperty("java.version")
      };
    }
  }
}
