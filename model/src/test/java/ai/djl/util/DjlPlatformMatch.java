package ai.djl.util;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * DJL's own decision whether a bundled native library runs on a machine ({@code Platform.matches}),
 * reached through its package-private parser, as the independent truth for polyak's prediction.
 */
public final class DjlPlatformMatch {
  private DjlPlatformMatch() {}

  /**
   * Whether DJL takes a bundled library of {@code bundledFlavor} on a machine DJL gives {@code
   * machineFlavor}.
   */
  public static boolean matches(String bundledFlavor, String machineFlavor, Path dir) {
    return platform(bundledFlavor, dir.resolve("bundled.properties"))
        .matches(platform(machineFlavor, dir.resolve("machine.properties")));
  }

  private static Platform platform(String flavor, Path file) {
    try {
      Files.writeString(
          file,
          "version=2.5.1\nflavor=" + flavor + "\nclassifier=linux-x86_64\nlibraries=libtorch.so\n");
      URL url = file.toUri().toURL();
      return Platform.fromUrl(url);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
