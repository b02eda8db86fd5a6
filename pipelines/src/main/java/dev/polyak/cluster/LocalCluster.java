package dev.polyak.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.polyak.BadInputException;
import dev.polyak.io.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * A standalone Flink 1.19 session cluster on this machine, as separate JVMs: one job manager
 * ({@code StandaloneSessionClusterEntrypoint}) and task managers ({@code TaskManagerRunner}),
 * started from the class path polyak runs from (the job jar holds the Flink runtime Maven
 * resolved), so no Flink distribution is needed. Everything lives in the cluster folder: {@code
 * conf/config.yaml} (the fixed settings of {@code deploy/flink/local/config.yaml}), {@code
 * cluster.json} (ports, slots, memory), {@code log/<process>.log}, {@code pids/<process>.pid}.
 * Ports, slots and memory go on each process's command line as Flink dynamic properties ({@code
 * -Dkey=value}). With {@code tls} the REST endpoint speaks mutual TLS only ({@link RestTls}): the
 * key stores are in {@code tls/}, and {@code client/config.yaml} is the Flink configuration a
 * client submits with ({@code --flink-conf-dir}).
 *
 * <p>{@link #stop} ends only the processes of its pid files, and only if their command line is a
 * Flink process of this cluster folder, so a reused pid is never killed.
 */
public final class LocalCluster {
  static final String JOB_MANAGER_CLASS =
      "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint";
  static final String TASK_MANAGER_CLASS =
      "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * What a cluster folder was started with.
   *
   * @param restPort the job manager's REST port (the web UI and job submission)
   * @param rpcPort the job manager's RPC port
   * @param slots task slots per task manager
   * @param taskHeapMb each task manager's task heap
   * @param nativeMb each task manager's task off-heap budget (DJL/PyTorch native memory)
   * @param classPath the class path the processes run from
   * @param tls whether the REST endpoint requires mutual TLS
   */
  public record Settings(
      int restPort,
      int rpcPort,
      int slots,
      int taskHeapMb,
      int nativeMb,
      String classPath,
      boolean tls) {}

  /** One process of the cluster, from its pid file. */
  public record Member(String name, long pid, boolean alive) {}

  /** Network buffer memory per task slot (deploy/flink/local/config.yaml's figure for one slot). */
  static final int NETWORK_MB_PER_SLOT = 64;

  private final Path dir;
  private final Settings settings;

  private LocalCluster(Path dir, Settings settings) {
    this.dir = dir.toAbsolutePath().normalize();
    this.settings = settings;
  }

  /** The cluster a folder holds (started before, possibly stopped since). */
  public static LocalCluster open(Path dir) {
    Path file = dir.resolve("cluster.json");
    if (!Files.exists(file)) {
      throw new BadInputException(
          dir
              + ": no local cluster here (no cluster.json); start one with polyak cluster start --dir "
              + dir);
    }
    try {
      return new LocalCluster(dir, JSON.readValue(file.toFile(), Settings.class));
    } catch (IOException e) {
      throw new BadInputException(file + ": unreadable (" + e.getMessage() + ")");
    }
  }

  /**
   * Starts a job manager and {@code taskManagers} task managers in {@code dir} and waits until they
   * all registered. Refuses a folder whose cluster is still running.
   */
  public static LocalCluster start(
      Path dir, int taskManagers, Settings settings, Duration timeout) {
    if (taskManagers < 1 || settings.slots() < 1) {
      throw new IllegalArgumentException("--taskmanagers and --slots must be at least 1");
    }
    LocalCluster cluster = new LocalCluster(dir, settings);
    List<Member> running = cluster.members().stream().filter(Member::alive).toList();
    if (!running.isEmpty()) {
      throw new BadInputException(
          dir
              + " already runs a cluster ("
              + running.size()
              + " live processes, e.g. "
              + running.get(0).name()
              + " pid "
              + running.get(0).pid()
              + "); stop it first with polyak cluster stop --dir "
              + dir);
    }
    requireFree(settings.restPort(), "REST port (--rest-port)");
    requireFree(settings.rpcPort(), "RPC port (--rpc-port)");
    cluster.prepareFolder();
    try {
      cluster.launch("jobmanager", JOB_MANAGER_CLASS, 512, 0);
      for (int i = 0; i < taskManagers; i++) {
        cluster.addTaskManager();
      }
      cluster.awaitTaskManagers(taskManagers, timeout);
      return cluster;
    } catch (RuntimeException e) {
      // A half-started cluster would keep its ports and memory with nobody to stop it.
      cluster.stop();
      throw e;
    }
  }

  /** The task managers whose process runs. */
  public int liveTaskManagers() {
    return (int)
        members().stream().filter(m -> m.alive() && !m.name().equals("jobmanager")).count();
  }

  /** Starts one more task manager (a replacement, or more slots) and returns its process name. */
  public String addTaskManager() {
    int index = 0;
    while (Files.exists(pidFile("taskmanager-" + index))) {
      index++;
    }
    String name = "taskmanager-" + index;
    launch(name, TASK_MANAGER_CLASS, 128 + settings.taskHeapMb(), 128 + settings.nativeMb() + 64);
    return name;
  }

  /**
   * Waits until {@code count} task managers and their slots are registered with the job manager.
   */
  public FlinkRest.Overview awaitTaskManagers(int count, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Optional<FlinkRest.Overview> last = Optional.empty();
    while (System.nanoTime() < deadline) {
      List<Member> members = members();
      List<Member> liveTaskManagers =
          members.stream().filter(m -> m.alive() && !m.name().equals("jobmanager")).toList();
      // A dead job manager explains dead task managers; else the newest dead task manager.
      Optional<Member> dead =
          members.stream()
              .filter(m -> !m.alive())
              .filter(m -> m.name().equals("jobmanager") || liveTaskManagers.size() < count)
              .reduce((a, b) -> a.name().equals("jobmanager") ? a : b);
      if (dead.isPresent()) {
        Member m = dead.get();
        throw new IllegalStateException(
            m.name()
                + " (pid "
                + m.pid()
                + ") exited; see "
                + logFile(m.name())
                + ":\n"
                + tail(logFile(m.name()), 20));
      }
      last = overview();
      if (last.isPresent()
          && last.get().taskManagers() >= count
          && last.get().slotsTotal() >= count * settings.slots()) {
        return last.get();
      }
      sleep(500);
    }
    throw new IllegalStateException(
        "the cluster in "
            + dir
            + " did not register "
            + count
            + " task managers within "
            + timeout.toSeconds()
            + " s (last overview: "
            + last.map(Object::toString).orElse("REST not answering")
            + "); see "
            + dir.resolve("log"));
  }

  /** Kills one process at once (SIGKILL), as a machine failure would. */
  public void kill(String name) {
    Member m =
        member(name)
            .orElseThrow(() -> new IllegalArgumentException("no process " + name + " in " + dir));
    ProcessHandle.of(m.pid()).filter(this::ours).ifPresent(ProcessHandle::destroyForcibly);
    awaitExit(m.pid(), Duration.ofSeconds(10));
  }

  /**
   * Ends every process of the cluster (SIGTERM, then SIGKILL after 15 s) and removes their pid
   * files.
   */
  public List<Member> stop() {
    List<Member> stopped = new ArrayList<>();
    List<Member> members = members();
    // Task managers first, so the job manager does not restart jobs onto them while they go.
    members.sort(
        (a, b) -> Boolean.compare(a.name().equals("jobmanager"), b.name().equals("jobmanager")));
    for (Member m : members) {
      Optional<ProcessHandle> process = ProcessHandle.of(m.pid()).filter(this::ours);
      process.ifPresent(
          p -> {
            p.destroy();
            if (!awaitExit(m.pid(), Duration.ofSeconds(15))) {
              p.destroyForcibly();
              awaitExit(m.pid(), Duration.ofSeconds(5));
            }
            stopped.add(m);
          });
      try {
        Files.deleteIfExists(pidFile(m.name()));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot remove " + pidFile(m.name()), e);
      }
    }
    return stopped;
  }

  /** The processes of the pid files, job manager first, and whether each still runs. */
  public List<Member> members() {
    Path pids = dir.resolve("pids");
    if (!Files.isDirectory(pids)) {
      return new ArrayList<>();
    }
    List<Member> members = new ArrayList<>();
    try (Stream<Path> files = Files.list(pids)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".pid")).sorted().toList()) {
        String name = f.getFileName().toString().replace(".pid", "");
        long pid = Long.parseLong(Files.readString(f).trim());
        members.add(
            new Member(
                name,
                pid,
                ProcessHandle.of(pid)
                    .filter(this::ours)
                    .map(ProcessHandle::isAlive)
                    .orElse(false)));
      }
    } catch (IOException | NumberFormatException e) {
      throw new BadInputException(pids + ": unreadable pid files (" + e.getMessage() + ")");
    }
    members.sort(
        (a, b) -> Boolean.compare(!a.name().equals("jobmanager"), !b.name().equals("jobmanager")));
    return members;
  }

  /** The job manager's {@code /overview}, or empty when its REST endpoint does not answer. */
  public Optional<FlinkRest.Overview> overview() {
    return rest().overview();
  }

  /**
   * The REST endpoint as a client reaches it (over mutual TLS with the client's key when the
   * cluster has TLS).
   */
  public FlinkRest rest() {
    return FlinkRest.of(restAddress(), clientConfDir());
  }

  /**
   * The Flink configuration folder clients submit with ({@code --flink-conf-dir}); only for a
   * cluster with TLS.
   */
  public Optional<Path> clientConfDir() {
    return settings.tls() ? Optional.of(dir.resolve("client")) : Optional.empty();
  }

  /** {@code 127.0.0.1:<rest port>}: what {@code --flink-master} takes. */
  public String restAddress() {
    return "127.0.0.1:" + settings.restPort();
  }

  public Path folder() {
    return dir;
  }

  public Settings settings() {
    return settings;
  }

  public Optional<Member> member(String name) {
    return members().stream().filter(m -> m.name().equals(name)).findFirst();
  }

  public Path logFile(String name) {
    return dir.resolve("log").resolve(name + ".log");
  }

  private void prepareFolder() {
    try {
      Files.createDirectories(dir.resolve("log"));
      Files.createDirectories(dir.resolve("pids"));
      if (settings.tls()) {
        RestTls tls = RestTls.generate(dir.resolve("tls"));
        RestTls.writeConfig(
            dir.resolve("conf"), resource("flink/local/config.yaml"), tls.serverSettings());
        RestTls.writeConfig(
            dir.resolve("client"),
            "# The Flink configuration of a client of the cluster in "
                + dir
                + ":\n# polyak sweep ... --flink-master "
                + restAddress()
                + " --flink-conf-dir "
                + dir.resolve("client")
                + "\n",
            tls.clientSettings());
      } else {
        Files.createDirectories(dir.resolve("conf"));
        AtomicFiles.writeString(
            dir.resolve("conf").resolve("config.yaml"), resource("flink/local/config.yaml"));
        // a client configuration left by an earlier start with --tls would name keys this cluster
        // does not have
        Files.deleteIfExists(dir.resolve("client").resolve("config.yaml"));
      }
      AtomicFiles.writeString(
          dir.resolve("cluster.json"),
          JSON.writerWithDefaultPrettyPrinter().writeValueAsString(settings));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the cluster folder " + dir, e);
    }
  }

  /**
   * Starts one Flink process with its JVM flags, dynamic properties and log, and writes its pid
   * file.
   */
  private void launch(String name, String mainClass, int heapMb, int directMb) {
    List<String> command = new ArrayList<>();
    if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
      command.add(
          "/usr/bin/setsid"); // its own session: closing the terminal that started it leaves it
      // running
    }
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmFlags());
    command.add("-Xmx" + heapMb + "m");
    command.add("-Xms" + heapMb + "m");
    if (directMb > 0) {
      command.add("-XX:MaxDirectMemorySize=" + directMb + "m");
    }
    command.add("-Dai.djl.offline=true");
    command.add(
        "-Dpolyak.cluster=" + dir); // lets status and stop recognise the cluster's own processes
    command.add("-cp");
    command.add(settings.classPath());
    command.add(mainClass);
    command.add("--configDir");
    command.add(dir.resolve("conf").toString());
    for (String property : dynamicProperties(mainClass.equals(TASK_MANAGER_CLASS))) {
      command.add("-D");
      command.add(property);
    }
    try {
      Process process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile(name).toFile()))
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
              .start();
      AtomicFiles.writeString(pidFile(name), Long.toString(process.pid()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name + " of the cluster in " + dir, e);
    }
  }

  private List<String> dynamicProperties(boolean taskManager) {
    List<String> p =
        new ArrayList<>(
            List.of(
                "rest.port=" + settings.restPort(), "jobmanager.rpc.port=" + settings.rpcPort()));
    if (taskManager) {
      p.addAll(
          List.of(
              "taskmanager.numberOfTaskSlots=" + settings.slots(),
              "taskmanager.cpu.cores=" + settings.slots(),
              "taskmanager.memory.task.heap.size=" + settings.taskHeapMb() + "m",
              "taskmanager.memory.task.off-heap.size=" + settings.nativeMb() + "m",
              // each slot's task writes a blocking partition of at least 512 buffers: 64m per slot
              "taskmanager.memory.network.min=" + NETWORK_MB_PER_SLOT * settings.slots() + "m",
              "taskmanager.memory.network.max=" + NETWORK_MB_PER_SLOT * settings.slots() + "m"));
    }
    return p;
  }

  /**
   * Refuses a port something already listens on: another cluster's REST endpoint there would answer
   * the registration check for this one.
   */
  private static void requireFree(int port, String what) {
    try (java.net.ServerSocket socket = new java.net.ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new java.net.InetSocketAddress("127.0.0.1", port));
    } catch (IOException e) {
      throw new BadInputException(
          "the "
              + what
              + " "
              + port
              + " on 127.0.0.1 is in use (another cluster? see polyak"
              + " cluster status); choose another");
    }
  }

  private boolean ours(ProcessHandle process) {
    return runsWith(
        () -> process.info().commandLine(),
        process::isAlive,
        "-Dpolyak.cluster=" + dir + " ",
        COMMAND_LINE_PATIENCE);
  }

  /** How long a live process may show no command line before it is taken for a stranger. */
  static final Duration COMMAND_LINE_PATIENCE = Duration.ofMillis(500);

  /**
   * Whether a process's command line holds {@code marker}: the check that a pid file still names
   * one of the cluster's own processes, not a stranger that reused the pid. Just after a launch,
   * while {@code setsid} execs {@code java}, {@code ProcessHandle.Info.commandLine()} can be empty
   * for a live process (on this 2-core machine with both cores busy, in 3 of 200 launches read
   * once), and the member passed for one that exited. So a live process's missing command line is
   * read again until it appears or {@code patience} runs out.
   */
  static boolean runsWith(
      Supplier<Optional<String>> commandLine,
      BooleanSupplier alive,
      String marker,
      Duration patience) {
    long deadline = System.nanoTime() + patience.toNanos();
    while (alive.getAsBoolean()) {
      Optional<String> line = commandLine.get();
      if (line.isPresent()) {
        return line.get().contains(marker);
      }
      if (System.nanoTime() >= deadline) {
        return false;
      }
      sleep(2);
    }
    return false;
  }

  private Path pidFile(String name) {
    return dir.resolve("pids").resolve(name + ".pid");
  }

  private static boolean awaitExit(long pid, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true)) {
        return true;
      }
      sleep(100);
    }
    return false;
  }

  /**
   * The JVM flags Flink 1.19 needs on Java 17 ({@code deploy/jvm/java17-flink.flags}, carried in
   * the jar).
   */
  public static List<String> jvmFlags() {
    return resource("jvm/java17-flink.flags")
        .lines()
        .map(String::trim)
        .filter(l -> !l.isEmpty() && !l.startsWith("#"))
        .toList();
  }

  static String resource(String path) {
    try (InputStream in = LocalCluster.class.getResourceAsStream("/dev/polyak/deploy/" + path)) {
      if (in == null) {
        throw new IllegalStateException(
            "the polyak jar lacks its resource dev/polyak/deploy/" + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String tail(Path file, int lines) {
    try {
      List<String> all = Files.readAllLines(file);
      if (all.isEmpty()) {
        return "(the log is empty: the process wrote nothing before it ended)";
      }
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
