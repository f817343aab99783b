package io.sluice.backend.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class NotifierConfigTest {
  private static NotifierConfig.Builder valid() {
    return NotifierConfig.builder().bootstrapServers("k:9092").webhookUrl("https://chat/hooks/x").zookeeper("zk:2181");
  }

  @Test
  void defaultsAreUsable() {
    NotifierConfig c = valid().build();
    assertThat(c.topic()).isEqualTo("sluice-alerts");
    assertThat(c.groupId()).isEqualTo("sluice-notifier");
    assertThat(c.leaderPath()).isEqualTo("/sluice/notifier/leader");
    assertThat(c.instanceId()).isNotBlank();
    assertThat(c.maxBackoff()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void errorsNameTheSettingAndTheFix() {
    assertThatThrownBy(() -> valid().zookeeper(" ").build())
        .hasMessage("zookeeper (--zookeeper) is not set; give the ZooKeeper connect string, e.g. zk1:2181,zk2:2181");
    assertThatThrownBy(() -> valid().webhookUrl("ftp://x/y").build())
        .hasMessage("webhookUrl (--webhook-url) 'ftp://x/y' must be an http:// or https:// URL");
    assertThatThrownBy(() -> valid().leaderPath("sluice/leader").build())
        .hasMessageStartingWith("leaderPath (--leader-path) 'sluice/leader' must be an absolute znode path");
    assertThatThrownBy(() -> valid().initialBackoff(Duration.ofSeconds(5)).maxBackoff(Duration.ofSeconds(1)).build())
        .hasMessage("maxBackoff (--max-backoff-ms) 1000 ms is below initialBackoff 5000 ms; raise it");
    assertThatThrownBy(() -> valid().dedupRecords(0).build())
        .hasMessage("dedupRecords (--dedup-records) is 0; use 1 or more");
  }

  @Test
  void cliPrintsHelpAndReportsBadOptionsByName() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    assertThat(NotifierMain.run(new PrintWriter(out, true), new PrintWriter(err, true), "--help")).isZero();
    assertThat(out.toString()).contains("--webhook-url", "--zookeeper", "--bootstrap-servers");

    StringWriter err2 = new StringWriter();
    int exit = NotifierMain.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err2, true),
        "--bootstrap-servers", "k:9092", "--webhook-url", "chat/hooks/x", "--zookeeper", "zk:2181");
    assertThat(exit).isEqualTo(2);
    assertThat(err2.toString())
        .contains("webhookUrl (--webhook-url) 'chat/hooks/x' must be an http:// or https:// URL");
  }
}
