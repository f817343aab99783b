package io.sluice.log4j2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.sluice.sdk.testkit.TestCollector;
import java.lang.reflect.Method;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code shaded} jar this build packaged, alone with exactly what its README says to add (log4j-api/core,
 * rocksdbjni, zstd-jni, opentelemetry-api) in a class loader of its own: Log4j2 finds the {@code Sluice} plugin, no
 * unrelocated protobuf or gRPC class is there, and records reach a real gRPC collector.
 */
class ShadedJarIT {
  private static final String[] NEEDED = {"log4j-api-", "log4j-core-", "rocksdbjni-", "zstd-jni-",
      "opentelemetry-api-", "opentelemetry-context-", "opentelemetry-common-"};

  @TempDir
  Path spool;

  @Test
  void theShadedPluginShipsWithOnlyItsDeclaredDependencies() throws Exception {
    List<URL> urls = new ArrayList<>();
    urls.add(ShadedJarFixture.shadedJar().toUri().toURL());
    for (URL entry : ShadedJarFixture.testClasspath()) {
      String path = entry.getPath();
      String name = path.substring(path.lastIndexOf('/') + 1);
      for (String prefix : NEEDED) {
        if (name.startsWith(prefix) && name.endsWith(".jar") && !name.contains("-test")) urls.add(entry);
      }
    }
    assertThat(urls).as("the shaded jar and %s", String.join(", ", NEEDED)).hasSize(NEEDED.length + 1);
    try (TestCollector collector = new TestCollector();
        URLClassLoader loader = new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader())) {
      assertThat(loader.loadClass("io.sluice.shaded.io.grpc.ManagedChannel")).isNotNull();
      assertThat(loader.loadClass("io.sluice.shaded.com.google.protobuf.Message")).isNotNull();
      assertThatThrownBy(() -> loader.loadClass("io.grpc.ManagedChannel")).isInstanceOf(ClassNotFoundException.class);
      assertThatThrownBy(() -> loader.loadClass("com.google.protobuf.Message"))
          .isInstanceOf(ClassNotFoundException.class);

      System.setProperty("sluice.test.endpoint", collector.endpoint());
      System.setProperty("sluice.test.spool", spool.toString());
      Thread current = Thread.currentThread();
      ClassLoader previous = current.getContextClassLoader();
      current.setContextClassLoader(loader);
      Object context = null;
      Class<?> contextClass = loader.loadClass("org.apache.logging.log4j.core.LoggerContext");
      try {
        URI config = ShadedJarIT.class.getResource("/sluice-pipeline.xml").toURI();
        context =
            contextClass.getConstructor(String.class, Object.class, URI.class).newInstance("shaded", null, config);
        contextClass.getMethod("start").invoke(context);
        Object logger = contextClass.getMethod("getLogger", String.class).invoke(context, "app");
        Method info = loader.loadClass("org.apache.logging.log4j.Logger").getMethod("info", String.class);
        for (int i = 0; i < 100; i++) info.invoke(logger, "shaded " + i);

        await().atMost(Duration.ofSeconds(30)).until(() -> collector.distinct() >= 100);
        assertThat(collector.received()).extracting(r -> r.record().getBody().getStringValue())
            .contains("shaded 0", "shaded 99");
      } finally {
        if (context != null) contextClass.getMethod("stop").invoke(context);
        current.setContextClassLoader(previous);
        System.clearProperty("sluice.test.endpoint");
        System.clearProperty("sluice.test.spool");
      }
    }
  }
}
