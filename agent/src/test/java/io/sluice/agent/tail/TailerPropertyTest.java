package io.sluice.agent.tail;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;

/**
 * The tailer against a model: random appends (of whole and partial lines), polls, rename+create rotations,
 * copytruncate rotations, truncations after a poll, and restarts from checkpoints. The model is the list of lines
 * the writer completed; the tailer must deliver each exactly once. Real files in a fresh directory per try.
 */
class TailerPropertyTest {
  private static final long SECOND = 1_000_000_000L;

  enum Kind { APPEND, APPEND_PARTIAL, POLL, RENAME_ROTATE, COPYTRUNCATE, TRUNCATE_AFTER_POLL, RESTART }

  record Op(Kind kind, int lines) {}

  @Provide
  Arbitrary<List<Op>> ops() {
    Arbitrary<Op> op = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(6, Arbitraries.integers().between(1, 40).map(n -> new Op(Kind.APPEND, n))),
        net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(1, 5).map(n -> new Op(Kind.APPEND_PARTIAL, n))),
        net.jqwik.api.Tuple.of(5, Arbitraries.just(new Op(Kind.POLL, 0))),
        net.jqwik.api.Tuple.of(2, Arbitraries.just(new Op(Kind.RENAME_ROTATE, 0))),
        net.jqwik.api.Tuple.of(2, Arbitraries.just(new Op(Kind.COPYTRUNCATE, 0))),
        net.jqwik.api.Tuple.of(1, Arbitraries.just(new Op(Kind.TRUNCATE_AFTER_POLL, 0))),
        net.jqwik.api.Tuple.of(2, Arbitraries.just(new Op(Kind.RESTART, 0))));
    return op.list().ofMinSize(1).ofMaxSize(40);
  }

  @Property(tries = 300, shrinking = ShrinkingMode.BOUNDED)
  void deliversEveryCompletedLineExactlyOnce(@ForAll("ops") List<Op> ops) throws IOException {
    Path dir = Files.createTempDirectory("tailer-prop");
    try {
      run(dir, ops);
    } finally {
      try (var walk = Files.walk(dir)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private void run(Path dir, List<Op> ops) throws IOException {
    Path app = dir.resolve("app.log");
    Files.writeString(app, "");
    TailerConfig config = new TailerConfig(16, 512, 2048, 4096, 64, SECOND, 3600 * SECOND);
    List<String> written = new ArrayList<>();
    RecordingListener out = new RecordingListener();
    long[] now = {0};
    int n = 0;
    int rotations = 0;
    String partial = ""; // the writer's unfinished line, already in the file
    boolean polledSinceRotation = true;
    Tailer tailer = new Tailer(config, out);
    tailer.track(app, now[0]);
    for (Op op : ops) {
      now[0] += SECOND / 10;
      switch (op.kind()) {
        case APPEND -> {
          StringBuilder bytes = new StringBuilder();
          for (int i = 0; i < op.lines(); i++) {
            String rest = "L" + (n++) + "-" + "p".repeat(n % 13);
            written.add(partial + rest); // the first line completes the writer's unfinished one
            partial = "";
            bytes.append(rest).append('\n');
          }
          Files.writeString(app, bytes.toString(), StandardOpenOption.APPEND);
        }
        case APPEND_PARTIAL -> {
          String piece = "q" + (n++) + "_";
          partial += piece;
          Files.writeString(app, piece, StandardOpenOption.APPEND);
        }
        case POLL -> {
          drain(tailer, now);
          polledSinceRotation = true;
        }
        case RENAME_ROTATE -> {
          polledSinceRotation = false;
          finishPartial(app, written, partial);
          partial = "";
          Files.move(app, dir.resolve("app.log.r" + (++rotations)));
          Files.writeString(app, "");
          drain(tailer, now);
          tailer.track(app, now[0]);
        }
        case COPYTRUNCATE -> {
          finishPartial(app, written, partial);
          partial = "";
          // Known limits: a file copied and truncated before the tailer ever read from it (position 0, empty
          // fingerprint) cannot be told from an untouched empty file; and two copytruncates between two looks
          // hide the first one. Rotations are hours apart and polls 250 ms, so the model looks once in between.
          FileId id = FileId.of(app);
          if (!polledSinceRotation || tailer.files().stream().anyMatch(f -> f.id().equals(id) && f.position() == 0)) {
            drain(tailer, now);
          }
          polledSinceRotation = false;
          Files.copy(app, dir.resolve("app.log.c" + (++rotations)), StandardCopyOption.COPY_ATTRIBUTES);
          try (var ch = java.nio.channels.FileChannel.open(app, StandardOpenOption.WRITE)) {
            ch.truncate(0);
          }
        }
        case TRUNCATE_AFTER_POLL -> {
          polledSinceRotation = false;
          finishPartial(app, written, partial);
          partial = "";
          drain(tailer, now);
          try (var ch = java.nio.channels.FileChannel.open(app, StandardOpenOption.WRITE)) {
            ch.truncate(0);
          }
        }
        case RESTART -> {
          // The listener's store plays the agent's spool: the checkpoints written with the batches (the open
          // files'), those it was told to keep (released files, copies whose tail was read), until forgotten or
          // reported gone by recover. Keyed by identity, as in the spool.
          for (TailedFile f : tailer.files()) {
            out.stored.put(f.id(), new Checkpoint(f.id(), f.lineage().toString(), f.safeOffset(), f.fingerprint(),
                System.currentTimeMillis()));
          }
          List<Checkpoint> cps = new ArrayList<>(out.stored.values());
          tailer.close();
          tailer = new Tailer(config, out);
          tailer.restore(cps);
          tailer.track(app, now[0]);
          for (Checkpoint gone : tailer.recover(now[0])) out.stored.remove(gone.id());
        }
      }
    }
    finishPartial(app, written, partial);
    drain(tailer, now);
    now[0] += 10 * SECOND;
    drain(tailer, now);
    tailer.close();
    Map<String, Integer> seen = new HashMap<>();
    for (String l : out.lines) seen.merge(l, 1, Integer::sum);
    assertThat(seen.entrySet()).filteredOn(e -> e.getValue() > 1).as("lines delivered twice").isEmpty();
    assertThat(out.lines).containsExactlyInAnyOrderElementsOf(written);
  }

  private static void finishPartial(Path app, List<String> written, String partial) throws IOException {
    if (partial.isEmpty()) return;
    Files.writeString(app, "\n", StandardOpenOption.APPEND);
    written.add(partial);
  }

  private static void drain(Tailer t, long[] now) {
    int guard = 0;
    while (t.poll(now[0]) && guard++ < 10_000) {
      now[0] += 1000;
    }
  }
}
