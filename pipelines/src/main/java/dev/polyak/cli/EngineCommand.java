package dev.polyak.cli;

import ai.djl.util.Utils;
import dev.polyak.nn.NativeLibraryCache;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code polyak engine extract}: PyTorch's native library unpacked ahead of time. */
@Command(
    name = "engine",
    description = "The deep-learning engine (DJL with PyTorch) bundled in the jar.",
    subcommands = EngineCommand.Extract.class)
final class EngineCommand {

  @Command(
      name = "extract",
      description = {
        "Unpack the bundled PyTorch native library into a DJL cache folder.",
        "The library lands exactly where DJL looks for it, and is not loaded (so the CUDA build unpacks on a machine without a GPU). A process started"
            + " with DJL_CACHE_DIR set to that folder then loads the engine from it instead of extracting it (several GB"
            + " and minutes for the CUDA build). The image does this at build time (deploy/k8s/Dockerfile).",
        "Files already in place are left alone."
      })
  static final class Extract implements Callable<Integer> {
    @Option(
        names = "--cache",
        description =
            "The DJL cache folder, i.e. the DJL_CACHE_DIR the processes will run with"
                + " (default: where DJL looks in this process: ENGINE_CACHE_DIR, else DJL_CACHE_DIR, else ~/.djl.ai).")
    Path cache;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      PrintWriter console = spec.commandLine().getOut();
      Path target = cache != null ? cache : Utils.getEngineCacheDir();
      String engineCacheDir = Utils.getEnvOrSystemProperty("ENGINE_CACHE_DIR");
      if (cache != null && engineCacheDir != null && !engineCacheDir.isEmpty()) {
        spec.commandLine()
            .getErr()
            .printf(
                "polyak: warning: ENGINE_CACHE_DIR=%s is set; processes that keep it set look"
                    + " there, not in %s%n",
                engineCacheDir, cache);
      }
      NativeLibraryCache.Bundle bundle =
          NativeLibraryCache.bundle(EngineCommand.class.getClassLoader());
      NativeLibraryCache.Extraction extraction =
          NativeLibraryCache.extract(EngineCommand.class.getClassLoader(), target);
      console.printf(
          "PyTorch %s (%s, %s, DJL %s) in %s: %s%n",
          bundle.version(),
          bundle.flavor(),
          bundle.classifier(),
          bundle.djlVersion(),
          extraction.folder(),
          extraction.written().isEmpty()
              ? "already there, nothing written"
              : String.format(
                  "%d files written, %.1f MB",
                  extraction.written().size(), extraction.bytesWritten() / 1e6));
      console.flush();
      return 0;
    }
  }
}
