package dev.polyak.pipelines;

import dev.polyak.PolyakVersion;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * The job jar shipped to a cluster whose processes already run polyak from their own class path
 * (the image's {@code /opt/flink/lib/polyak.jar}, or {@code polyak cluster start}): a jar of a few
 * hundred bytes holding a manifest and a note, and no class. Beam's FlinkRunner stages the whole
 * class path when it is given no file to stage, and Flink loads a job's classes child-first by
 * default, so an empty list or a jar of polyak's own classes would not do: with nothing in it,
 * every class comes from the cluster's class path, whatever the resolve order.
 */
public final class ThinJobJar {
  /** The note inside the jar, saying what it is to whoever finds it in a blob store. */
  static final String NOTE = "META-INF/polyak-thin-job.txt";

  private ThinJobJar() {}

  /** Writes the thin job jar to a new temporary file, deleted when this JVM exits. */
  public static Path createTemporary() {
    try {
      Path jar = Files.createTempFile("polyak-thin-job-", ".jar");
      jar.toFile().deleteOnExit();
      write(jar);
      return jar;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the thin job jar", e);
    }
  }

  /** Writes the thin job jar to {@code jar}. */
  public static void write(Path jar) throws IOException {
    Manifest manifest = new Manifest();
    Attributes main = manifest.getMainAttributes();
    main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
    main.put(new Attributes.Name("Created-By"), "polyak " + PolyakVersion.version());
    main.put(new Attributes.Name("Polyak-Revision"), PolyakVersion.revision());
    try (OutputStream file = Files.newOutputStream(jar);
        JarOutputStream out = new JarOutputStream(file, manifest)) {
      out.putNextEntry(new JarEntry(NOTE));
      out.write(
          ("A polyak job submitted with --thin-jar by polyak "
                  + PolyakVersion.version()
                  + " (git "
                  + PolyakVersion.revision()
                  + "). It holds no class: the cluster runs polyak, Beam, Flink and DJL from its"
                  + " own class path (lib/polyak.jar), which must come from the same build.\n")
              .getBytes(StandardCharsets.UTF_8));
      out.closeEntry();
    }
  }
}
