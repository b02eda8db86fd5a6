package dev.polyak.cli;

import dev.polyak.data.download.DatasetCatalog;
import dev.polyak.data.download.DownloadOptions;
import dev.polyak.data.download.DownloadResult;
import dev.polyak.data.download.Downloader;
import dev.polyak.data.download.ProgressListener;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code polyak download}: fetch, verify and extract an official dataset archive. */
@Command(
    name = "download",
    description = {
      "Download, verify and extract an official dataset archive.",
      "Checks the archive's size and sha256, then extracts it under --to. An interrupted download resumes from its .part file; entries that would escape --to are refused."
    })
final class DownloadCommand implements Callable<Integer> {
  @Parameters(
      index = "0",
      paramLabel = "DATASET",
      description =
          "wikitext-2, wikitext-2-raw, wikitext-103, wikitext-103-raw, cifar-10 or cifar-100.")
  String dataset;

  @Option(
      names = "--to",
      required = true,
      description = "Target folder; the dataset lands in a sub-folder.")
  Path to;

  @Option(
      names = "--url",
      description = "Fetch from this URL (a mirror) instead of the official one.")
  URI url;

  @Option(
      names = "--sha256",
      description = "Expect this sha256 (with --url, for a mirror's different archive).")
  String sha256;

  @Option(
      names = "--force",
      description = "Download and extract again even if the dataset is already there.")
  boolean force;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    DatasetCatalog.Entry entry = DatasetCatalog.require(dataset);
    DownloadOptions.Builder options = DownloadOptions.builder().force(force);
    if (url != null) {
      options.url(url);
    }
    if (sha256 != null) {
      options.sha256(sha256);
    }
    out.printf(
        "downloading %s from %s into %s%n", entry.name(), url != null ? url : entry.url(), to);
    out.flush();
    DownloadResult result;
    try (Progress progress = new Progress(entry.name())) {
      options.listener(progress);
      result = new Downloader().download(entry, to, options.build());
    }
    out.printf(
        "%s: %s (%s)%n",
        result.outcome() == DownloadResult.Outcome.ALREADY_PRESENT ? "already present" : "done",
        result.datasetDir(),
        result.archiveSha256().map(h -> "archive sha256 " + h).orElse("nothing fetched"));
    return 0;
  }

  /** A byte progress bar on a terminal; nothing when output is piped. */
  private static final class Progress implements ProgressListener, AutoCloseable {
    private final String task;
    private ProgressBar bar;

    Progress(String task) {
      this.task = task;
    }

    @Override
    public void onProgress(long bytesDone, long totalBytes) {
      if (System.console() == null) {
        return;
      }
      if (bar == null) {
        bar =
            new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(totalBytes)
                .setStyle(ProgressBarStyle.ASCII)
                .setUnit(" MB", 1_000_000)
                .showSpeed()
                .build();
      }
      bar.stepTo(bytesDone);
    }

    @Override
    public void close() {
      if (bar != null) {
        bar.close();
      }
    }
  }
}
