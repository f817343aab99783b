package io.sluice.log4j2;

import java.io.File;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/** What the shaded-jar ITs share: this build's shaded jar, and the test JVM's class path. */
final class ShadedJarFixture {
  private ShadedJarFixture() {}

  /** This JVM's class path, also through the manifest-only jar failsafe may start it with. */
  static List<URL> testClasspath() throws IOException {
    List<URL> out = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      URL url = Paths.get(entry).toUri().toURL();
      out.add(url);
      if (!entry.endsWith(".jar")) continue;
      try (JarFile jar = new JarFile(entry)) {
        Manifest manifest = jar.getManifest();
        String classPath = manifest == null ? null : manifest.getMainAttributes().getValue("Class-Path");
        if (classPath == null) continue;
        for (String ref : classPath.trim().split("\\s+")) out.add(new URL(url, ref));
      }
    }
    return out;
  }

  /** This build's shaded jar by name (failsafe passes it): target/ may still hold one from an earlier version. */
  static Path shadedJar() {
    String name = System.getProperty("sluice.shadedJar");
    if (name == null) throw new AssertionError("failsafe sets sluice.shadedJar");
    Path jar = Paths.get(name);
    if (!Files.exists(jar)) throw new AssertionError("no " + jar + ": the package phase builds it");
    return jar;
  }
}
