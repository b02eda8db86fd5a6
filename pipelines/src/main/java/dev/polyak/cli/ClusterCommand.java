package dev.polyak.cli;

import dev.polyak.cluster.FlinkRest;
import dev.polyak.cluster.LocalCluster;
import dev.polyak.runner.RunnerMixin;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code polyak cluster start|stop|status|add-taskmanager}: a local multi-process Flink session
 * cluster.
 */
@Command(
    name = "cluster",
    description = {
      "Run a standalone Flink session cluster on this machine.",
      "A standalone Flink 1.19 session cluster on this machine: a job manager and task managers as separate"
          + " JVMs started from the polyak jar (no Flink download), bound to 127.0.0.1, with logs and pid files in --dir."
          + " Its REST endpoint runs any job submitted to it: start --tls makes it HTTPS-only with client certificates.",
      "Submit jobs to it with --flink-master 127.0.0.1:<rest port>, e.g. polyak sweep --config sweep.yaml"
          + " --flink-master 127.0.0.1:8081 --parallelism <task managers x slots>."
    },
    subcommands = {
      ClusterCommand.Start.class,
      ClusterCommand.Stop.class,
      ClusterCommand.Status.class,
      ClusterCommand.AddTaskManager.class
    })
final class ClusterCommand {
  static final String DEFAULT_DIR = "polyak-cluster";

  /** The cluster folder option every sub-command takes. */
  static final class Folder {
    @Option(
        names = "--dir",
        defaultValue = DEFAULT_DIR,
        description = "Cluster folder (default ${DEFAULT-VALUE}).")
    Path dir;
  }

  @Command(
      name = "start",
      description = {
        "Start the job manager and --taskmanagers task managers.",
        "Waits until every task manager has registered."
      })
  static final class Start implements Callable<Integer> {
    @Option(
        names = "--taskmanagers",
        defaultValue = "2",
        description = "Task managers (default ${DEFAULT-VALUE}).")
    int taskManagers;

    @Option(
        names = "--slots",
        defaultValue = "1",
        description =
            "Slots per task manager, one training run each" + " (default ${DEFAULT-VALUE}).")
    int slots;

    @Mixin Folder folder;

    @Option(
        names = "--rest-port",
        defaultValue = "8081",
        description = "REST port (default ${DEFAULT-VALUE}).")
    int restPort;

    @Option(
        names = "--rpc-port",
        defaultValue = "6123",
        description = "Job manager RPC port (default ${DEFAULT-VALUE}).")
    int rpcPort;

    @Option(
        names = "--task-heap-mb",
        defaultValue = "1024",
        description = "Task heap per task manager, MiB (default" + " ${DEFAULT-VALUE}).")
    int taskHeapMb;

    @Option(
        names = "--native-mb",
        defaultValue = "1024",
        description =
            "Task off-heap budget per task manager for DJL's"
                + " native memory, MiB (default ${DEFAULT-VALUE}).")
    int nativeMb;

    @Option(
        names = "--timeout",
        defaultValue = "120",
        description = "Seconds to wait for registration (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(
        names = "--tls",
        description =
            "Mutual TLS on the REST endpoint: HTTPS only, and only for clients with the"
                + " certificate made at start (keys in <dir>/tls; clients submit with --flink-conf-dir <dir>/client).")
    boolean tls;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      LocalCluster cluster =
          LocalCluster.start(
              folder.dir,
              taskManagers,
              new LocalCluster.Settings(
                  restPort, rpcPort, slots, taskHeapMb, nativeMb, classPath(), tls),
              Duration.ofSeconds(timeoutSeconds));
      PrintWriter out = spec.commandLine().getOut();
      printStatus(out, cluster);
      out.printf(
          "submit with: --flink-master %s%s --parallelism %d%n",
          cluster.restAddress(),
          cluster.clientConfDir().map(c -> " --flink-conf-dir " + c).orElse(""),
          taskManagers * slots);
      out.flush();
      return 0;
    }
  }

  @Command(
      name = "add-taskmanager",
      description = {
        "Start one more task manager in a running cluster.",
        "A replacement for a lost one, or more slots."
      })
  static final class AddTaskManager implements Callable<Integer> {
    @Mixin Folder folder;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      LocalCluster cluster = LocalCluster.open(folder.dir);
      String name = cluster.addTaskManager();
      // Registered = the live ones: the job manager may still count a killed task manager until its
      // heartbeat fails.
      cluster.awaitTaskManagers(cluster.liveTaskManagers(), Duration.ofSeconds(120));
      spec.commandLine().getOut().printf("started %s%n", name);
      printStatus(spec.commandLine().getOut(), cluster);
      return 0;
    }
  }

  @Command(
      name = "stop",
      description = "Stop the cluster's processes (only those of its pid files).")
  static final class Stop implements Callable<Integer> {
    @Mixin Folder folder;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      List<LocalCluster.Member> stopped = LocalCluster.open(folder.dir).stop();
      PrintWriter out = spec.commandLine().getOut();
      out.printf(
          "stopped %d processes%s%n",
          stopped.size(),
          stopped.isEmpty()
              ? " (none was running)"
              : ": "
                  + String.join(
                      ", ",
                      stopped.stream().map(m -> m.name() + " (pid " + m.pid() + ")").toList()));
      out.flush();
      return 0;
    }
  }

  @Command(
      name = "status",
      description = {
        "Print the cluster's processes and what its REST API reports.",
        "Exit code 3 when it is not running."
      })
  static final class Status implements Callable<Integer> {
    @Mixin Folder folder;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      LocalCluster cluster = LocalCluster.open(folder.dir);
      return printStatus(spec.commandLine().getOut(), cluster) ? 0 : 3;
    }
  }

  /** Prints processes and the REST overview; returns whether the job manager answers. */
  static boolean printStatus(PrintWriter out, LocalCluster cluster) {
    out.printf("cluster %s%n", cluster.folder());
    for (LocalCluster.Member m : cluster.members()) {
      out.printf(
          "  %-15s pid %-8d %s  (log %s)%n",
          m.name(), m.pid(), m.alive() ? "running" : "gone", cluster.logFile(m.name()));
    }
    FlinkRest rest = cluster.rest();
    Optional<FlinkRest.Overview> o = rest.overview();
    String endpoint = rest.url() + (rest.tls() ? " (mutual TLS)" : "");
    if (o.isEmpty()) {
      out.printf("  REST %s: not answering%n", endpoint);
    } else {
      FlinkRest.Overview v = o.get();
      out.printf(
          "  REST %s: %d task managers, %d slots (%d free), jobs running %d, finished %d, failed %d%n",
          endpoint,
          v.taskManagers(),
          v.slotsTotal(),
          v.slotsAvailable(),
          v.jobsRunning(),
          v.jobsFinished(),
          v.jobsFailed());
    }
    out.flush();
    return o.isPresent();
  }

  /** The polyak jar when running from it, else this JVM's class path (tests, IDEs). */
  static String classPath() {
    return RunnerMixin.jobJar().map(Path::toString).orElse(System.getProperty("java.class.path"));
  }
}
