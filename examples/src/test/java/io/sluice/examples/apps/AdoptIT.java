package io.sluice.examples.apps;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.collector.Collector;
import io.sluice.collector.embedded.EmbeddedKafka;
import io.sluice.examples.EndToEnd;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A newcomer adopting Sluice as the README's "Add the appender" section says, taken from README.md itself so the two
 * cannot drift: its {@code ./sluice publish-local ~/sluice-repo} command (run with {@code HOME} in a temp dir, on the
 * jars this build packaged), then a fresh application whose pom holds the README's {@code <repositories>}, BOM and
 * dependency snippet and whose logback.xml holds the README's appender (the collector's address and the spool
 * directory filled in). The application is built with an empty local repository: Sluice can come only from the
 * published repository; third-party artifacts come from this build's local repository, mirrored as a file://
 * repository, so nothing is downloaded. Its lines must arrive in Kafka through a real collector.
 */
class AdoptIT {
  private static final int COUNT = 200;
  private static final Path README = ExampleProject.ROOT.resolve("README.md");

  @TempDir
  Path dir;

  @Test
  void aFreshApplicationAdoptsSluiceExactlyAsTheReadmeSays() throws Exception {
    String section = readmeSection("## Add the appender");
    String command = section.lines().filter(l -> l.startsWith("./sluice publish-local ")).findFirst()
        .orElseThrow(() -> new AssertionError("no ./sluice publish-local command in README's Add the appender"));
    String pomSnippet = block(section, "xml", "sluice-bom");
    String logbackSnippet = block(section, "xml", "io.sluice.logback.SluiceAppender");

    Path home = Files.createDirectories(dir.resolve("home"));
    publish(command, home);

    Path app = Files.createDirectories(dir.resolve("app"));
    writeApplication(app, pomSnippet, logbackSnippet);

    EmbeddedKafka kafka = EndToEnd.kafka();
    String topic = EndToEnd.newTopic();
    try (Collector collector = EndToEnd.startCollector(
        EndToEnd.collectorConfig(kafka.bootstrapServers(), topic).topicPartitions(1).build())) {
      Path logback = app.resolve("src/main/resources/logback.xml");
      Files.writeString(logback, Files.readString(logback)
          .replace("collector.example:4417", "127.0.0.1:" + collector.port())
          .replace("/var/lib/checkout/sluice", dir.resolve("spool").toString()));
      Path localRepo = dir.resolve("m2");
      String classpath = build(app, home, localRepo);
      assertThat(Files.readString(
          localRepo.resolve("io/sluice/sluice-appender-logback/" + version() + "/_remote.repositories")))
          .as("the appender was resolved from the README's repository").contains(">sluice=");

      // The application stays up until its lines are in Kafka (it stops when its stdin closes), as a service
      // would: how long the first connection takes on a busy machine is then no part of the outcome.
      Path out = dir.resolve("app.out");
      Process p = new ProcessBuilder(java(), "-Xmx256m", "-cp", app.resolve("target/classes") + File.pathSeparator
          + classpath, "com.example.adopt.App", String.valueOf(COUNT))
          .directory(app.toFile()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
      EndToEnd.Arrivals arrivals;
      try {
        arrivals = EndToEnd.consume(kafka.bootstrapServers(), topic, COUNT, Duration.ofMinutes(2));
      } finally {
        p.getOutputStream().close();
      }
      assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("app finished:%n%s", ExampleProject.read(out)).isTrue();
      assertThat(p.exitValue()).as(ExampleProject.read(out)).isZero();
      assertThat(arrivals.containsExactly(0, COUNT))
          .as("arrived: %s%napplication output:%n%s", arrivals.bySeq.keySet(), ExampleProject.read(out)).isTrue();
    }
  }

  /** Runs the README's command line in bash with HOME in the temp dir, on the jars this build already packaged. */
  private void publish(String command, Path home) throws Exception {
    Path log = dir.resolve("publish.log");
    ProcessBuilder pb = new ProcessBuilder("bash", "-c", command).directory(ExampleProject.ROOT.toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    Map<String, String> env = pb.environment();
    String realHome = System.getProperty("user.home");
    env.put("HOME", home.toString());
    // the Maven wrapper's distribution stays where it is; the build's own jars, not a nested build (see ./sluice)
    env.putIfAbsent("MAVEN_USER_HOME", realHome + "/.m2");
    env.put("SLUICE_PUBLISH_NO_BUILD", "1");
    String repo = outerLocalRepo();
    // not -o: maven-deploy-plugin refuses to deploy offline, even to a file:// URL; it is in this build's repository
    env.put("MAVEN_ARGS", "-Dmaven.repo.local=" + repo);
    Process p = pb.start();
    boolean done = p.waitFor(3, TimeUnit.MINUTES);
    if (!done) p.destroyForcibly();
    assertThat(done && p.exitValue() == 0).as("%s:%n%s", command, ExampleProject.read(log)).isTrue();
    assertThat(home.resolve("sluice-repo/io/sluice/sluice-bom/" + version() + "/sluice-bom-" + version() + ".pom"))
        .exists();
  }

  private void writeApplication(Path app, String pomSnippet, String logbackSnippet) throws IOException {
    // the application's own Logback, as any Logback user has it, beside the README's Sluice dependency
    int last = pomSnippet.lastIndexOf("</dependencies>");
    assertThat(last).as("the README's pom snippet declares dependencies").isGreaterThan(
        pomSnippet.lastIndexOf("</dependencyManagement>"));
    String dependencies = pomSnippet.substring(0, last) + "  <dependency><groupId>ch.qos.logback</groupId>"
        + "<artifactId>logback-classic</artifactId><version>1.5.18</version></dependency>\n"
        + pomSnippet.substring(last);
    // plugin versions pinned to ones this build uses, so they resolve offline from the mirrored local repository
    String pom =
        """
            <?xml version="1.0" encoding="UTF-8"?>
            <project xmlns="http://maven.apache.org/POM/4.0.0">
              <modelVersion>4.0.0</modelVersion>
              <groupId>com.example</groupId><artifactId>adopt</artifactId><version>1.0</version>
              <properties>
                <maven.compiler.release>17</maven.compiler.release>
                <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
              </properties>
            %s
              <build>
                <plugins>
                  <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-resources-plugin</artifactId><version>3.3.1</version></plugin>
                  <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-compiler-plugin</artifactId><version>3.14.0</version></plugin>
                </plugins>
              </build>
            </project>
            """
            .formatted(dependencies);
    Files.writeString(app.resolve("pom.xml"), pom);
    Path resources = Files.createDirectories(app.resolve("src/main/resources"));
    Files.writeString(resources.resolve("logback.xml"), "<configuration>\n" + logbackSnippet + "\n</configuration>\n");
    Path src = Files.createDirectories(app.resolve("src/main/java/com/example/adopt"));
    Files.writeString(src.resolve("App.java"), """
        package com.example.adopt;

        import ch.qos.logback.classic.LoggerContext;
        import org.slf4j.Logger;
        import org.slf4j.LoggerFactory;

        public class App {
          public static void main(String[] args) throws java.io.IOException {
            Logger log = LoggerFactory.getLogger(App.class);
            int count = Integer.parseInt(args[0]);
            for (int i = 0; i < count; i++) log.atInfo().addKeyValue("seq", i).log("order {} placed", i);
            // runs like a service until told to stop (stdin closed), then stops Logback as its shutdown hook would
            System.in.read();
            ((LoggerContext) LoggerFactory.getILoggerFactory()).stop();
          }
        }
        """);
  }

  /** Builds the application with an empty local repository; returns its runtime classpath. */
  private String build(Path app, Path home, Path localRepo) throws Exception {
    // Every repository but the README's "sluice" one is mirrored by this build's local repository (a file:// URL),
    // so third-party artifacts resolve offline and Sluice's only from the published repository.
    Path settings = dir.resolve("settings.xml");
    Files.writeString(settings, """
        <settings>
          <mirrors>
            <mirror><id>this-build</id><mirrorOf>*,!sluice</mirrorOf><url>%s</url></mirror>
          </mirrors>
        </settings>
        """.formatted(Paths.get(outerLocalRepo()).toUri()));
    Path log = dir.resolve("build.log");
    List<String> cmd = new ArrayList<>(List.of(ExampleProject.ROOT.resolve("mvnw").toString(), "-B", "-ntp",
        "-s", settings.toString(), "-Dmaven.repo.local=" + localRepo, "-Duser.home=" + home,
        "compile", "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath",
        "-Dmdep.outputFile=target/classpath.txt", "-Dmdep.includeScope=runtime"));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(app.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().remove("MAVEN_ARGS");
    Process p = pb.start();
    boolean done = p.waitFor(5, TimeUnit.MINUTES);
    if (!done) p.destroyForcibly();
    assertThat(done && p.exitValue() == 0).as("building the application:%n%s", ExampleProject.read(log)).isTrue();
    return Files.readString(app.resolve("target/classpath.txt"), StandardCharsets.UTF_8).trim();
  }

  private static String outerLocalRepo() {
    String repo = System.getProperty("sluice.maven.repo.local");
    if (repo == null || repo.isBlank() || repo.startsWith("${")) {
      repo = System.getProperty("user.home") + "/.m2/repository";
    }
    return repo;
  }

  private static String version() {
    String version = System.getProperty("sluice.version");
    assertThat(version).as("failsafe sets sluice.version").isNotNull();
    return version;
  }

  private static String java() {
    return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
  }

  static String readmeSection(String heading) throws IOException {
    String readme = Files.readString(README, StandardCharsets.UTF_8);
    int start = readme.indexOf("\n" + heading + "\n");
    assertThat(start).as("README.md has %s", heading).isNotNegative();
    int end = readme.indexOf("\n## ", start + heading.length() + 1);
    return readme.substring(start, end < 0 ? readme.length() : end);
  }

  /** The first fenced block of the language that contains {@code marker}. */
  static String block(String markdown, String language, String marker) {
    Matcher m = Pattern.compile("```" + language + "\n(.*?)```", Pattern.DOTALL).matcher(markdown);
    while (m.find()) {
      if (m.group(1).contains(marker)) return m.group(1);
    }
    throw new AssertionError("no ```" + language + " block with " + marker + " in the README section");
  }
}
