package io.sluice.agent;

import com.google.protobuf.InvalidProtocolBufferException;
import io.sluice.agent.tail.AbandonReason;
import io.sluice.agent.tail.Discovery;
import io.sluice.agent.tail.LineHandler;
import io.sluice.agent.tail.TailedFile;
import io.sluice.agent.tail.Tailer;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.LogRecord;
import io.sluice.wire.BatchWriter;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code --dry-run}: reads every configured file once from the beginning (no spool, no checkpoints, no network) and
 * prints each record on one line, up to {@code maxRecords}. For checking a configuration. Single-threaded.
 */
final class DryRun {
  private DryRun() {}

  static int run(AgentConfig config, PrintStream out, int maxRecords) {
    AgentStats stats = new AgentStats();
    int[] printed = {0};
    List<Map.Entry<InputConfig, Discovery>> ds = new ArrayList<>();
    for (InputConfig in : config.inputs()) ds.add(Map.entry(in, new Discovery(in.include(), in.exclude())));
    Tailer t = new Tailer(config.tailer(), new Tailer.Listener() {
      @Override
      public LineHandler open(TailedFile file) {
        InputConfig in = config.inputs().get(0);
        for (Map.Entry<InputConfig, Discovery> d : ds) {
          if (d.getValue().matches(file.path())) {
            in = d.getKey();
            break;
          }
        }
        return new InputProcessor(in, file, config.tailer().maxLineBytes(), new InputProcessor.Sink() {
          private final BatchWriter one = new BatchWriter(List.of(), 4096);

          @Override
          public void record(TailedFile f, LogRecord r) {
            if (printed[0]++ < maxRecords) out.println(DryRunFormat.format(r));
          }

          @Override
          public void plain(TailedFile f, long timeNanos, int severityNumber, byte[] severityText, byte[] bodyUtf8,
              byte[] attributeFields, byte[] sourceFile, long offset, long length, boolean truncated) {
            // the record as the agent would spool it, decoded again
            one.addPlain(timeNanos, severityNumber, severityText, bodyUtf8, attributeFields, sourceFile, offset,
                length, truncated);
            try {
              record(f, LogBatch.parseFrom(ByteBuffer.wrap(one.array(), 0, one.length())).getRecords(0));
            } catch (InvalidProtocolBufferException e) {
              throw new IllegalStateException("a plain record that does not decode", e);
            } finally {
              one.clear();
            }
          }
        }, () -> System.currentTimeMillis() * 1_000_000L, stats);
      }

      @Override
      public void afterLine(TailedFile file, long nowNanos) {}
      @Override
      public boolean mayRead() { return printed[0] < maxRecords; }
      @Override
      public void truncated(TailedFile file, long lostBytes, long recoveredBytes) {}
      @Override
      public void released(TailedFile file, AbandonReason reason, long abandonedBytes) {}
    });
    long now = System.nanoTime();
    for (Map.Entry<InputConfig, Discovery> d : ds) {
      for (Path p : d.getValue().scan()) t.track(p, now);
    }
    int files = t.files().size();
    while (t.poll(now) && printed[0] < maxRecords) {
      // read until every file is at its end
    }
    t.flushAll(now);
    t.close();
    out.println("# " + files + " files, " + Math.min(printed[0], maxRecords) + " records shown"
        + (printed[0] > maxRecords ? " (more not shown)" : ""));
    return printed[0];
  }
}
