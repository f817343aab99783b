package io.sluice.agent;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.sluice.agent.tail.AbandonReason;
import io.sluice.agent.tail.TailedFile;
import io.sluice.sdk.thread.SluiceThreads;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code /metrics} (Prometheus text format 0.0.4), {@code /livez} and {@code /readyz} (200 or 503 with a reason) on
 * the JDK's HTTP server, one Sluice daemon thread. Reads counters only; never touches the tailer's state beyond
 * volatile getters.
 */
final class AgentHttp implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor;
  private final Agent agent;

  private AgentHttp(Agent agent, HttpServer server, ExecutorService executor) {
    this.agent = agent;
    this.server = server;
    this.executor = executor;
  }

  static AgentHttp start(Agent agent, String host, int port) throws IOException {
    HttpServer s = HttpServer.create(new InetSocketAddress(host, port), 16);
    ExecutorService ex = Executors.newSingleThreadExecutor(SluiceThreads.factory("sluice-agent-http"));
    s.setExecutor(ex);
    AgentHttp h = new AgentHttp(agent, s, ex);
    s.createContext("/metrics", e -> h.respond(e, 200, "text/plain; version=0.0.4; charset=utf-8", h.metrics()));
    s.createContext("/livez", e -> {
      boolean ok = agent.live();
      h.respond(e, ok ? 200 : 503, "text/plain", agent.liveness() + "\n");
    });
    s.createContext("/readyz", e -> {
      String credentials = agent.delivery().credentialsProblem;
      boolean ok = agent.ready() && credentials == null;
      h.respond(e, ok ? 200 : 503, "text/plain", (ok ? "ok" : agent.ready() ? "not ready: " + credentials
          : "not ready: starting or draining") + "\n");
    });
    s.start();
    return h;
  }

  int port() {
    return server.getAddress().getPort();
  }

  private void respond(HttpExchange e, int status, String type, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    e.getResponseHeaders().set("Content-Type", type);
    e.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = e.getResponseBody()) {
      out.write(bytes);
    }
  }

  String metrics() {
    AgentStats s = agent.stats();
    StringBuilder m = new StringBuilder(4096);
    counter(m, "sluice_agent_lines_read_total", "Lines read from files.", s.linesRead.sum());
    counter(m, "sluice_agent_records_total", "Records made from lines (after multiline joins).", s.records.sum());
    counter(m, "sluice_agent_lines_truncated_total", "Lines longer than tail.maxLineBytes, cut and flagged.",
        s.linesTruncated.sum());
    counter(m, "sluice_agent_records_truncated_total", "Records flagged truncated (cut line or multiline limit).",
        s.recordsTruncated.sum());
    counter(m, "sluice_agent_batches_spooled_total", "Batches written to the spool with their checkpoints.",
        s.batchesSpooled.sum());
    counter(m, "sluice_agent_spool_full_waits_total", "Times reading paused because the spool was full.",
        s.spoolFullWaits.sum());
    counter(m, "sluice_agent_disk_full_waits_total",
        "Spool writes refused because its disk was full (reading waits, nothing dropped).", s.diskFullWaits.sum());
    counter(m, "sluice_agent_files_opened_total", "Files opened for tailing.", s.filesOpened.sum());
    counter(m, "sluice_agent_files_released_total", "Files closed after rotation or deletion.", s.filesReleased.sum());
    counter(m, "sluice_agent_truncations_total", "Files found truncated and read again from 0.", s.truncations.sum());
    counter(m, "sluice_agent_copytruncate_recovered_bytes_total",
        "Bytes read from a copytruncate copy after the truncation.", s.recoveredFromCopyBytes.sum());
    header(m, "sluice_agent_abandoned_bytes_total", "counter", "Bytes never read, by reason.");
    for (AbandonReason r : AbandonReason.values()) {
      m.append("sluice_agent_abandoned_bytes_total{reason=\"").append(r.name().toLowerCase(Locale.ROOT)).append("\"} ")
          .append(s.abandonedBytes.get(r).sum()).append('\n');
    }
    counter(m, "sluice_agent_records_acknowledged_total", "Records the collector acknowledged.",
        agent.delivery().acknowledged.sum());
    counter(m, "sluice_agent_records_rejected_total",
        "Records the collector rejected for good (dropped, reason: rejected).", agent.delivery().rejected.sum());
    counter(m, "sluice_agent_reconnects_total", "Reconnections to the collector.", agent.delivery().reconnects.sum());
    counter(m, "sluice_agent_credential_errors_total",
        "Streams not opened because the credentials were unavailable (collector.credentialsFile missing or unreadable, no OAuth2 token).",
        agent.delivery().credentialErrors.sum());
    counter(m, "sluice_agent_credential_rotations_total",
        "Streams replaced because the credentials changed (file rotated, OAuth2 token refreshed).",
        agent.delivery().credentialRotations.sum());
    gauge(m, "sluice_agent_credentials_usable", "0 while the credentials are unavailable (/readyz says why), else 1.",
        agent.delivery().credentialsProblem == null ? 1 : 0);
    gauge(m, "sluice_agent_connected", "1 when a stream to the collector is open.", agent.delivery().connected ? 1 : 0);
    gauge(m, "sluice_agent_spool_bytes", "Compressed bytes waiting in the spool.", agent.spool().bytes());
    gauge(m, "sluice_agent_spool_batches", "Batches waiting in the spool.", agent.spool().batches());
    gauge(m, "sluice_agent_oldest_unacked_age_seconds", "Age of the oldest batch not yet acknowledged.",
        agent.oldestUnackedAgeSeconds());
    var files = agent.files();
    gauge(m, "sluice_agent_files_open", "Files held open.", files.size());
    counter(m, "sluice_agent_rotated_siblings_read_total",
        "Rotated files found unread beside a watched file (after a restart, or rotations faster than the agent looked) and read whole.",
        agent.rotatedSiblingsRead());
    gauge(m, "sluice_agent_remembered_files",
        "Released files and copytruncate copies still on disk, known by identity so they are never read again.",
        agent.rememberedFiles());
    gauge(m, "sluice_agent_files_deferred", "Matches not opened yet because tail.maxOpenFiles were open.",
        agent.deferredFiles());
    header(m, "sluice_agent_file_lag_bytes", "gauge", "Bytes written to a file and not read yet.");
    for (TailedFile f : files) fileSample(m, "sluice_agent_file_lag_bytes", f, f.lagBytes());
    header(m, "sluice_agent_file_offset_bytes", "gauge", "Read position in a file.");
    for (TailedFile f : files) fileSample(m, "sluice_agent_file_offset_bytes", f, f.position());
    header(m, "sluice_agent_file_lines_read_total", "counter", "Lines read from a file since it was opened.");
    for (TailedFile f : files) fileSample(m, "sluice_agent_file_lines_read_total", f, f.linesRead());
    gauge(m, "sluice_agent_live", "1 when /livez answers 200.", agent.live() ? 1 : 0);
    gauge(m, "sluice_agent_ready", "1 when /readyz answers 200.",
        agent.ready() && agent.delivery().credentialsProblem == null ? 1 : 0);
    return m.toString();
  }

  private static void fileSample(StringBuilder m, String name, TailedFile f, long value) {
    m.append(name).append("{path=\"").append(escape(f.path().toString())).append("\",state=\"")
        .append(f.state().name().toLowerCase(Locale.ROOT)).append("\"} ").append(value).append('\n');
  }

  private static String escape(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  private static void header(StringBuilder m, String name, String type, String help) {
    m.append("# HELP ").append(name).append(' ').append(help).append('\n');
    m.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  private static void counter(StringBuilder m, String name, String help, long v) {
    header(m, name, "counter", help);
    m.append(name).append(' ').append(v).append('\n');
  }

  private static void gauge(StringBuilder m, String name, String help, double v) {
    header(m, name, "gauge", help);
    m.append(name).append(' ')
        .append(v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.valueOf(v)).append('\n');
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
