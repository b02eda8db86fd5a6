package dev.polyak.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.polyak.sweep.SweepSpec;
import dev.polyak.train.RunSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The documentation holds together: the top README stays short and reaches every reference document
 * in one click, every relative link and anchor of every Markdown file leads somewhere, and the run
 * and sweep files the documents show are valid.
 */
class DocumentationTest {
  private static final Path REPOSITORY = DeployTree.repository();

  @Test
  void theTopReadmeIsShortAndLinksEveryReferenceDocument() throws IOException {
    Path readme = REPOSITORY.resolve("README.md");
    assertThat(MarkdownDocs.lines(readme)).as("README.md lines").hasSizeLessThanOrEqualTo(250);

    Set<Path> linked =
        MarkdownDocs.links(readme).stream()
            .map(l -> target(l).normalize())
            .collect(Collectors.toSet());
    List<Path> documents;
    try (Stream<Path> docs = Files.list(REPOSITORY.resolve("docs"))) {
      documents = docs.filter(f -> f.getFileName().toString().endsWith(".md")).sorted().toList();
    }
    assertThat(documents)
        .extracting(DeployTree::shown)
        .contains(
            "docs/README.md",
            "docs/cli.md",
            "docs/differences.md",
            "docs/how-to-add.md",
            "docs/tests.md");
    assertThat(documents).as("docs/*.md the top README does not link").allMatch(linked::contains);
    assertThat(linked)
        .contains(REPOSITORY.resolve("CONTRIBUTING.md"), REPOSITORY.resolve("deploy/README.md"));
  }

  @Test
  void theTestCommandOfCiIsTheReadmes() throws IOException {
    String readme = Files.readString(REPOSITORY.resolve("README.md"));
    String ci = Files.readString(REPOSITORY.resolve(".ci/run"));
    assertThat(readme).contains("\nmvn -B verify ");
    assertThat(ci).contains("\nmvn -B verify\n");
  }

  @Test
  void everyRelativeLinkAndAnchorResolves() {
    List<Path> files = MarkdownDocs.all();
    assertThat(files)
        .extracting(DeployTree::shown)
        .contains("README.md", "CONTRIBUTING.md", "docs/README.md", "deploy/README.md");

    long relative =
        files.stream()
            .flatMap(f -> MarkdownDocs.links(f).stream())
            .filter(l -> !external(l))
            .count();
    assertThat(relative).isGreaterThan(50);
    assertThat(brokenLinks(files)).isEmpty();
  }

  @Test
  void aMissingFileOrHeadingIsABrokenLink(@TempDir Path dir) throws IOException {
    Files.createDirectories(dir.resolve("docs/design"));
    Files.writeString(
        dir.resolve("docs/a.md"),
        """
        # A title

        ## `polyak train` (one run)

        [fine](#a-title), [also](b.md#polyak-train-one-run), [folder](design/), [web](https://example.org/x)
        [gone](c.md) and [wrong](b.md#polyak-train)
        ```
        [in a block](nowhere.md)
        ```
        `[inline](nowhere.md)`
        """);
    Files.copy(dir.resolve("docs/a.md"), dir.resolve("docs/b.md"));

    assertThat(brokenLinks(List.of(dir.resolve("docs/a.md"))))
        .containsExactly(
            dir.resolve("docs/a.md") + ":6: c.md (no such file or folder)",
            dir.resolve("docs/a.md") + ":6: b.md#polyak-train (no heading with that anchor)");
  }

  /**
   * {@code file:line: target (reason)} for every relative link of {@code files} that leads nowhere.
   */
  private static List<String> brokenLinks(List<Path> files) {
    List<String> broken = new ArrayList<>();
    for (Path file : files) {
      for (MarkdownDocs.Link link : MarkdownDocs.links(file)) {
        if (external(link)) {
          continue;
        }
        Path target = target(link);
        String anchor =
            link.target().contains("#")
                ? link.target().substring(link.target().indexOf('#') + 1)
                : null;
        String where = DeployTree.shown(file) + ":" + link.line() + ": " + link.target();
        if (!Files.exists(target)) {
          broken.add(where + " (no such file or folder)");
        } else if (anchor != null
            && !(Files.isRegularFile(target)
                && target.toString().endsWith(".md")
                && MarkdownDocs.anchors(target).contains(anchor))) {
          broken.add(where + " (no heading with that anchor)");
        }
      }
    }
    return broken;
  }

  /** http:, https:, mailto: and the like. */
  private static boolean external(MarkdownDocs.Link link) {
    return link.target().matches("[a-z][a-z0-9+.-]*:.*");
  }

  @Test
  void slugsAreGitHubs() {
    assertThat(MarkdownDocs.slug("One owner per folder (`polyak.lock`)"))
        .isEqualTo("one-owner-per-folder-polyaklock");
    assertThat(MarkdownDocs.slug("A local multi-process cluster: `polyak cluster`"))
        .isEqualTo("a-local-multi-process-cluster-polyak-cluster");
    assertThat(MarkdownDocs.slug("Scale on paper: a 100-seed sweep on 1,000 GPUs"))
        .isEqualTo("scale-on-paper-a-100-seed-sweep-on-1000-gpus");
    assertThat(MarkdownDocs.slug("Differences from the paper, µ and κ"))
        .isEqualTo("differences-from-the-paper-µ-and-κ");
  }

  /**
   * Every YAML block of the top README and docs/ that is a run file (has {@code model:} and no
   * {@code grid:}) or a sweep file (has {@code grid:}) parses as one; the sweep reference's example
   * expands to the cells counted by hand.
   */
  @Test
  void theRunAndSweepFilesTheDocumentsShowAreValid() {
    List<Path> files = new ArrayList<>(List.of(REPOSITORY.resolve("README.md")));
    MarkdownDocs.all().stream()
        .filter(f -> f.startsWith(REPOSITORY.resolve("docs")))
        .forEach(files::add);
    Path base = REPOSITORY.resolve("docs");
    int runs = 0;
    Map<String, Integer> sweepCells = new LinkedHashMap<>();
    for (Path file : files) {
      for (MarkdownDocs.Block block : MarkdownDocs.blocks(file)) {
        if (!block.info().equals("yaml")) {
          continue;
        }
        String where = DeployTree.shown(file) + ":" + block.line();
        if (block.text().lines().anyMatch(l -> l.startsWith("grid:"))) {
          sweepCells.put(where, SweepSpec.parse(block.text(), base).cells().size());
        } else if (block.text().lines().anyMatch(l -> l.startsWith("model:"))) {
          assertThat(RunSpec.parse(block.text(), base).model()).as(where).isNotBlank();
          runs++;
        }
      }
    }
    assertThat(runs).as("run files shown").isGreaterThanOrEqualTo(2);
    // README: 1 model x (dense once + random and pl-gate at one ratio) x 5 seeds = 15 cells;
    // docs/sweeps.md: 2 models x (dense once + 3 methods x 2 ratios) x 100 seeds x 2 rates = 2800
    // cells, and the early-stopping measurement's dense sweep of seeds 0..15 = 16 cells
    assertThat(sweepCells.entrySet())
        .extracting(e -> e.getKey().replaceFirst(":.*", ""), Map.Entry::getValue)
        .containsExactly(
            tuple("README.md", 15), tuple("docs/sweeps.md", 2800), tuple("docs/sweeps.md", 16));
  }

  private static Path target(MarkdownDocs.Link link) {
    String path =
        link.target().contains("#")
            ? link.target().substring(0, link.target().indexOf('#'))
            : link.target();
    return path.isEmpty() ? link.file() : link.file().getParent().resolve(path);
  }
}
