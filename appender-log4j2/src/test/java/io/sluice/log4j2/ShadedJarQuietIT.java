package io.sluice.log4j2;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Log4j2 application in a JVM of its own with the shaded appender, log4j-api/core and the README's other jars, and
 * no SLF4J at all ({@code src/test/child/QuietApp.java}): its collector refuses connections, the shipper retries,
 * and a gRPC logger under the relocated name warns through {@code java.util.logging}. Nothing of Sluice's may reach
 * the application's stderr: no SLF4J "no providers" warning, no JUL console lines.
 */
class ShadedJarQuietIT {
  private static final String[] NEEDED = {"log4j-api-", "log4j-core-", "rocksdbjni-", "zstd-jni-",
      "opentelemetry-api-", "opentelemetry-context-", "opentelemetry-common-"};

  @TempDir
  Path dir;

  @Test
  void aLog4j2AppWithoutSlf4jSeesNothingOfSluiceOnStderr() throws Exception {
    int refusingPort;
    try (ServerSocket s = new ServerSocket(0)) {
      refusingPort = s.getLocalPort(); // closed again: connections to it are refused
    }
    Path config = dir.resolve("log4j2.xml");
    Files.writeString(config, """
        <?xml version="1.0" encoding="UTF-8"?>
        <Configuration>
          <Appenders>
            <Sluice name="SLUICE" endpoint="http://127.0.0.1:%d" serviceName="quiet" spoolDir="%s"
                    lingerMs="20" reconnectMinMs="20" reconnectMaxMs="50" closeTimeoutMs="200ms"/>
          </Appenders>
          <Loggers><Root level="info"><AppenderRef ref="SLUICE"/></Root></Loggers>
        </Configuration>
        """.formatted(refusingPort, dir.resolve("spool")));
    List<String> cp = new ArrayList<>();
    cp.add(ShadedJarFixture.shadedJar().toString());
    for (URL entry : ShadedJarFixture.testClasspath()) {
      String path = entry.getPath();
      String name = path.substring(path.lastIndexOf('/') + 1);
      for (String prefix : NEEDED) {
        if (name.startsWith(prefix) && name.endsWith(".jar") && !name.contains("-test")) cp.add(path);
      }
    }
    assertThat(cp).hasSize(NEEDED.length + 1);
    assertThat(cp).noneMatch(p -> p.contains("slf4j"));
    Path stderr = dir.resolve("stderr.txt");
    Path stdout = dir.resolve("stdout.txt");
    Process child = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", String.join(File.pathSeparator, cp), "-Dlog4j2.configurationFile=" + config,
        Paths.get("src/test/child/QuietApp.java").toAbsolutePath().toString(), "3")
        .redirectError(stderr.toFile()).redirectOutput(stdout.toFile()).start();
    assertThat(child.waitFor(120, TimeUnit.SECONDS)).as("the child app ends").isTrue();
    String out = Files.readString(stdout, StandardCharsets.UTF_8);
    String err = Files.readString(stderr, StandardCharsets.UTF_8);
    assertThat(child.exitValue()).as("exit; stderr: %s", err).isZero();
    assertThat(out).contains("QUIET-APP-DONE");
    assertThat(err).doesNotContain("SLF4J").doesNotContain("synthetic gRPC warning")
        .doesNotContainPattern("(?m)^(WARNING|SEVERE|INFO): ");
  }
}
