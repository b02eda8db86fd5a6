package dev.polyak.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code polyak download}: placeholder until the downloader lands (wired below). */
@Command(name = "download", mixinStandardHelpOptions = true, versionProvider = PolyakCli.Version.class,
    description = "Download and verify an official dataset archive and extract it.")
final class DownloadCommand implements Callable<Integer> {
  @Parameters(index = "0", description = "wikitext-2, wikitext-2-raw, wikitext-103, wikitext-103-raw, cifar-10 or cifar-100")
  String dataset;

  @Option(names = "--to", required = true, description = "Target folder.")
  Path to;

  @Override
  public Integer call() {
    throw new UnsupportedOperationException("download is wired in the next step");
  }
}
