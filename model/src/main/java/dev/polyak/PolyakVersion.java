package dev.polyak;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The version and git revision stamped into the build; every artifact polyak writes carries them.
 */
public final class PolyakVersion {
  private static final Properties PROPERTIES = load();

  private PolyakVersion() {}

  /** The Maven project version, e.g. {@code 0.1.0-SNAPSHOT}. */
  public static String version() {
    return PROPERTIES.getProperty("version", "unknown");
  }

  /**
   * The git revision the jar was built from, or {@code unknown} when built outside the launcher.
   */
  public static String revision() {
    String revision = PROPERTIES.getProperty("revision", "unknown");
    return revision.startsWith("${") ? "unknown" : revision;
  }

  private static Properties load() {
    Properties properties = new Properties();
    try (InputStream in =
        PolyakVersion.class.getResourceAsStream("/dev/polyak/version.properties")) {
      if (in != null) {
        properties.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the polyak version resource", e);
    }
    return properties;
  }
}
