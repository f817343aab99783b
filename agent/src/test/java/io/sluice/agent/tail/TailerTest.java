package io.sluice.agent.tail;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TailerTest {
  private static final long SECOND = 1_000_000_000L;
  @TempDir
  Path dir;
  long now = 0;

  private static TailerConfig config() {
    return new TailerConfig(16, 512, 4096, 1024, 64, SECOND, 10 * SECOND);
  }

  private static List<Checkpoint> checkpoints(Tailer t) {
    List<Checkpoint> out = new ArrayList<>();
    for (TailedFile f : t.files())
      out.add(new Checkpoint(f.id(), f.path().toString(), f.safeOffset(), f.fingerprint()));
    return out;
  }

  private static Instant ctime(Path p) throws java.io.IOException {
    return ((java.nio.file.attribute.FileTime) Files.getAttribute(p, "unix:ctime")).toInstant();
  }

  /** Until a file touched now gets a ctime after {@code t}: the kernel's coarse file clock has passed it. */
  private void awaitFileClockPast(Instant t) {
    Path probe = dir.resolve(".clock-probe");
    Awaitility.await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(2)).until(() -> {
      Files.writeString(probe, "x");
      return ctime(probe).isAfter(t);
    });
  }

  /** Until the wall clock the tailer reads is after {@code t}. */
  private static void awaitWallClockPast(Instant t) {
    Awaitility.await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(1))
        .until(() -> Instant.now().isAfter(t));
  }

  private void drain(Tailer t) {
    while (t.poll(now)) {
      now += 1000;
    }
  }

  @Test
  void fingerprintGrowsWithATinyFile() throws Exception {
    Path f = dir.resolve("a.log");
    Files.writeString(f, "hi\n");
    RecordingListener l = new RecordingListener();
    try (Tailer t = new Tailer(config(), l)) {
      t.track(f, now);
      drain(t);
      assertThat(t.files().iterator().next().fingerprint().length()).isEqualTo(3);
      Files.writeString(f, "x".repeat(100) + "\n", StandardOpenOption.APPEND);
      drain(t);
      assertThat(t.files().iterator().next().fingerprint().length()).isEqualTo(64);
      assertThat(l.lines).containsExactly("hi", "x".repeat(100));
    }
  }

  @Test
  void aReusedInodeWithOtherContentIsReadFromTheStart() throws Exception {
    Path f = dir.resolve("a.log");
    Files.writeString(f, "first file line 1\nfirst file line 2\n");
    List<Checkpoint> saved;
    try (Tailer t = new Tailer(config(), new RecordingListener())) {
      t.track(f, now);
      drain(t);
      saved = checkpoints(t);
    }
    // The checkpointed file is deleted and its inode reused by a file with other content (simulated exactly: the
    // new file is given the old checkpoint's identity, as the kernel would when it reuses the inode).
    Files.delete(f);
    Files.writeString(f, "second file, longer than the first one was: line A\nline B\n");
    FileId newId = FileId.of(f);
    Checkpoint old = saved.get(0);
    Checkpoint reused = new Checkpoint(newId, old.path(), old.offset(), old.fingerprint());
    RecordingListener l = new RecordingListener();
    try (Tailer t = new Tailer(config(), l)) {
      t.restore(List.of(reused));
      t.track(f, now);
      drain(t);
    }
    assertThat(l.lines).containsExactly("second file, longer than the first one was: line A", "line B");
  }

  @Test
  void resumesAtTheCheckpointWhenTheFingerprintMatches() throws Exception {
    Path f = dir.resolve("a.log");
    Files.writeString(f, "one\ntwo\n");
    List<Checkpoint> saved;
    try (Tailer t = new Tailer(config(), new RecordingListener())) {
      t.track(f, now);
      drain(t);
      saved = checkpoints(t);
    }
    Files.writeString(f, "three\n", StandardOpenOption.APPEND);
    RecordingListener l = new RecordingListener();
    try (Tailer t = new Tailer(config(), l)) {
      t.restore(saved);
      t.track(f, now);
      drain(t);
    }
    assertThat(l.lines).containsExactly("three");
  }

  @Test
  void findsAFileRotatedWhileStoppedByIdentityAndReadsItsRest() throws Exception {
    Path f = dir.resolve("a.log");
    Files.writeString(f, "one\n");
    List<Checkpoint> saved;
    try (Tailer t = new Tailer(config(), new RecordingListener())) {
      t.track(f, now);
      drain(t);
      saved = checkpoints(t);
    }
    Files.writeString(f, "two\n", StandardOpenOption.APPEND);
    Files.move(f, dir.resolve("a.log.1"));
    Files.writeString(f, "new one\n");
    RecordingListener l = new RecordingListener();
    try (Tailer t = new Tailer(config(), l)) {
      t.restore(saved);
      t.track(f, now);
      assertThat(t.recover(now)).isEmpty();
      drain(t);
      now += 2 * SECOND;
      drain(t);
      assertThat(l.released).containsExactly("a.log.1");
    }
    assertThat(l.lines).containsExactlyInAnyOrder("two", "new one");
  }

  @Test
  void aDeletedFileIsReadToItsEndThenReleased() throws Exception {
    Path f = dir.resolve("a.log");
    Files.writeString(f, "one\n");
    RecordingListener l = new RecordingListener();
    try (Tailer t = new Tailer(config(), l)) {
      t.track(f, now);
      try (FileChannel w = FileChannel.open(f, StandardOpenOption.APPEND)) {
        Files.delete(f);
        w.write(java.nio.ByteBuffer.wrap("written after delete\n".getBytes()));
      }
      drain(t);
      assertThat(l.lines).containsExactly("one", "written after delete");
      assertThat(t.files()).hasSize(1);
      now += 2 * SECOND;
      drain(t);
      assertThat(t.files()).isEmpty();
      assertThat(l.abandoned).isZero();
    }
  }

  @Test
  void aDeletedFileWithABacklogIsReleasedAfterTheBoundAndCounted() throws Exception {
    Path f = dir.resolve("a.log");
    Files.writeString(f, "x".repeat(99) + "\n");
    RecordingListener l = new RecordingListener();
    l.mayRead = false; // the spool is full: nothing may be read
    try (Tailer t = new Tailer(config(), l)) {
      t.track(f, now);
      Files.delete(f);
      t.poll(now);
      now += 5 * SECOND;
      t.poll(now);
      assertThat(t.files()).hasSize(1); // held: the reader may still catch up
      now += 6 * SECOND;
      t.poll(now);
      assertThat(t.files()).isEmpty(); // the disk space must come back
      assertThat(l.abandoned).isEqualTo(100);
      assertThat(l.lastReason).isEqualTo(AbandonReason.DELETED);
    }
  }

  @Test
  void aFileRenamedWithinTheGlobsIsNotReadTwice() throws Exception {
    Path f = dir.resolve("a.log");
    Files.writeString(f, "one\n");
    RecordingListener l = new RecordingListener();
    try (Tailer t = new Tailer(config(), l)) {
      t.track(f, now);
      drain(t);
      Path g = dir.resolve("b.log");
      Files.move(f, g);
      t.track(g, now);
      Files.writeString(g, "two\n", StandardOpenOption.APPEND);
      drain(t);
      assertThat(t.files()).hasSize(1);
    }
    assertThat(l.lines).containsExactly("one", "two");
  }

  @Test
  void copytruncateOfAFileNothingWasReadFromYetReadsTheCopy() throws Exception {
    Path f = dir.resolve("a.log");
    Files.createFile(f);
    RecordingListener l = new RecordingListener();
    try (Tailer t = new Tailer(config(), l)) {
      t.track(f, now);
      drain(t); // looked at it: empty, no fingerprint
      // The writes and the rotation below happen after that look: file times come from the kernel's coarse clock
      // (a tick of up to 10 ms behind), so wait until it has passed the look.
      awaitFileClockPast(Instant.now());
      Files.writeString(f, "never seen 1\nnever seen 2\n", StandardOpenOption.APPEND);
      // logrotate copytruncate between two polls: copy, then truncate; the app goes on writing
      Files.copy(f, dir.resolve("a.log.1"));
      try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
        ch.truncate(0);
      }
      Files.writeString(f, "after\n", StandardOpenOption.APPEND);
      drain(t);
      assertThat(l.lines).containsExactly("never seen 1", "never seen 2", "after");
      Files.writeString(f, "more\n", StandardOpenOption.APPEND);
      drain(t);
      assertThat(l.lines).containsExactly("never seen 1", "never seen 2", "after", "more");
    }
  }

  @Test
  void anEmptyFileThatIsWrittenToIsNotMistakenForACopytruncate() throws Exception {
    Path f = dir.resolve("a.log");
    Files.createFile(f);
    Files.writeString(dir.resolve("a.log.1"), "an older rotation, bigger than anything below\n".repeat(10));
    awaitWallClockPast(ctime(dir.resolve("a.log.1"))); // made before our first look
    RecordingListener l = new RecordingListener();
    try (Tailer t = new Tailer(config(), l)) {
      t.track(f, now);
      drain(t);
      awaitFileClockPast(Instant.now());
      Files.writeString(f, "first\n", StandardOpenOption.APPEND);
      drain(t);
      assertThat(l.lines).containsExactly("first");
    }
  }

  @Test
  void truncateAndRewriteWithIdenticalFirstBytesIsNoticedByTheBytesBeforeThePosition() throws Exception {
    Path f = dir.resolve("a.log");
    String header = "# same header, longer than the 64-byte fingerprint of this test ##########################\n";
    Files.writeString(f, header + "old 1\nold 2\n");
    RecordingListener l = new RecordingListener();
    try (Tailer t = new Tailer(config(), l)) {
      t.track(f, now);
      drain(t);
      // Truncated and rewritten before the next poll: same first bytes, and already longer than our position.
      try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
        ch.truncate(0);
      }
      Files.writeString(f, header + "new line 1 is longer\nnew line 2\n", StandardOpenOption.APPEND);
      drain(t);
      assertThat(l.lines).containsExactly(header.strip(), "old 1", "old 2", header.strip(), "new line 1 is longer",
          "new line 2");
    }
  }

  // ------------------------------------------------------------------------------------------- rotation order

  /** What the agent's spool would hold: the open files' checkpoints (now) and those of released/remembered files. */
  private static List<Checkpoint> stored(Tailer t, RecordingListener l) {
    List<Checkpoint> out = new ArrayList<>(l.stored.values());
    for (TailedFile f : t.files()) {
      out.add(
          new Checkpoint(f.id(), f.lineage().toString(), f.safeOffset(), f.fingerprint(), System.currentTimeMillis()));
    }
    return out;
  }

  private static String gen(String name, int lines) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < lines; i++) sb.append(name).append('-').append(i).append(" some text to make it longer\n");
    return sb.toString();
  }

  private static List<String> linesOf(String text) {
    return List.of(text.split("\n"));
  }

  /** logrotate's numbered create mode: app.log.N -> N+1, app.log -> app.log.1, a new app.log. */
  private void rotateCreate(Path log) throws Exception {
    String name = log.getFileName().toString();
    for (int n = 50; n >= 1; n--) {
      Path p = dir.resolve(name + "." + n);
      if (Files.exists(p)) Files.move(p, dir.resolve(name + "." + (n + 1)));
    }
    Files.move(log, dir.resolve(name + ".1"));
    Files.createFile(log);
  }

  /** logrotate's numbered copytruncate mode: shift, copy app.log to app.log.1, truncate app.log. */
  private void rotateCopytruncate(Path log) throws Exception {
    String name = log.getFileName().toString();
    for (int n = 50; n >= 1; n--) {
      Path p = dir.resolve(name + "." + n);
      if (Files.exists(p)) Files.move(p, dir.resolve(name + "." + (n + 1)));
    }
    Files.copy(log, dir.resolve(name + ".1"));
    try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE)) {
      ch.truncate(0);
    }
  }

  @Test
  void aRotatedFilesTailIsReadBeforeTheNewFilesHead() throws Exception {
    Path f = dir.resolve("app.log");
    String old = gen("old", 400); // ~13 KB: more than one poll's budget (4 KiB)
    Files.writeString(f, old);
    RecordingListener l = new RecordingListener();
    try (Tailer t = new Tailer(config(), l)) {
      t.track(f, now);
      rotateCreate(f);
      String fresh = gen("new", 50);
      Files.writeString(f, fresh);
      drain(t);
      List<String> want = new ArrayList<>(linesOf(old));
      want.addAll(linesOf(fresh));
      assertThat(l.lines).containsExactlyElementsOf(want);
    }
  }

  @Test
  void rotatedSiblingsWrittenWhileDownAreReadInRotationOrderAfterARestart() throws Exception {
    Path f = dir.resolve("app.log");
    Files.writeString(f, gen("history", 5));
    rotateCreate(f); // app.log.1: written an hour before the agent ever looked: not read
    Files.setLastModifiedTime(dir.resolve("app.log.1"),
        java.nio.file.attribute.FileTime.from(Instant.now().minus(Duration.ofHours(1))));
    Files.writeString(f, gen("g0", 20));
    RecordingListener first = new RecordingListener();
    List<Checkpoint> saved;
    try (Tailer t = new Tailer(config(), first)) {
      t.track(f, now);
      drain(t);
      saved = stored(t, first);
    }
    Files.writeString(f, gen("g0-tail", 10), StandardOpenOption.APPEND);
    List<String> want = new ArrayList<>(linesOf(gen("g0-tail", 10)));
    for (String g : List.of("g1", "g2", "g3")) { // three rotations while the agent is down
      rotateCreate(f);
      Files.writeString(f, gen(g, 30));
      want.addAll(linesOf(gen(g, 30)));
    }
    RecordingListener second = new RecordingListener();
    try (Tailer t = new Tailer(config(), second)) {
      t.restore(saved);
      t.track(f, now);
      assertThat(t.recover(now)).isEmpty();
      drain(t);
      assertThat(second.lines).containsExactlyElementsOf(want);
      assertThat(t.siblingsAdopted()).isEqualTo(2);
    }
  }

  @Test
  void aReleasedRotatedFileIsNeverReadAgainAfterARestart() throws Exception {
    Path f = dir.resolve("app.log");
    Files.writeString(f, gen("g0", 20));
    RecordingListener first = new RecordingListener();
    List<Checkpoint> saved;
    try (Tailer t = new Tailer(config(), first)) {
      t.track(f, now);
      drain(t);
      rotateCreate(f);
      Files.writeString(f, gen("g1", 20));
      drain(t);
      now += 2 * SECOND; // past releaseAfter: app.log.1 is read to its end and released
      drain(t);
      assertThat(first.released).hasSize(1);
      saved = stored(t, first);
      assertThat(first.lines).hasSize(40);
    }
    RecordingListener second = new RecordingListener();
    try (Tailer t = new Tailer(config(), second)) {
      t.restore(saved);
      t.track(f, now);
      t.recover(now);
      drain(t);
      assertThat(second.lines).isEmpty();
    }
  }

  @Test
  void copytruncateCopiesMadeWhileDownAreReadAfterTheKnownGenerationsTail() throws Exception {
    Path f = dir.resolve("app.log");
    Files.writeString(f, gen("g0", 20));
    RecordingListener first = new RecordingListener();
    List<Checkpoint> saved;
    try (Tailer t = new Tailer(config(), first)) {
      t.track(f, now);
      drain(t);
      saved = stored(t, first);
    }
    Files.writeString(f, gen("g0-tail", 10), StandardOpenOption.APPEND);
    List<String> want = new ArrayList<>(linesOf(gen("g0-tail", 10)));
    rotateCopytruncate(f);
    for (String g : List.of("g1", "g2")) { // two more copytruncates while the agent is down
      Files.writeString(f, gen(g, 30), StandardOpenOption.APPEND);
      want.addAll(linesOf(gen(g, 30)));
      rotateCopytruncate(f);
    }
    Files.writeString(f, gen("g3", 5), StandardOpenOption.APPEND);
    want.addAll(linesOf(gen("g3", 5)));
    RecordingListener second = new RecordingListener();
    List<Checkpoint> savedAgain;
    try (Tailer t = new Tailer(config(), second)) {
      t.restore(saved);
      t.track(f, now);
      t.recover(now);
      drain(t);
      assertThat(second.lines).containsExactlyElementsOf(want);
      savedAgain = stored(t, second);
    }
    // And a second restart reads none of it again: the copies are known by identity.
    RecordingListener third = new RecordingListener();
    try (Tailer t = new Tailer(config(), third)) {
      t.restore(savedAgain);
      t.track(f, now);
      t.recover(now);
      drain(t);
      assertThat(third.lines).isEmpty();
    }
  }

  @Test
  void aCopyMadeBeforeTheLastLinesWeReadIsRememberedAndNotReadAgainAfterARestart() throws Exception {
    Path f = dir.resolve("app.log");
    Files.writeString(f, gen("g0", 15));
    RecordingListener first = new RecordingListener();
    List<Checkpoint> saved;
    try (Tailer t = new Tailer(config(), first)) {
      t.track(f, now);
      Files.copy(f, dir.resolve("app.log.1")); // logrotate's copy ...
      Files.writeString(f, gen("g0-late", 5), StandardOpenOption.APPEND);
      drain(t); // ... we read past it ...
      try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
        ch.truncate(0); // ... and then its truncation
      }
      Files.writeString(f, gen("g1", 3));
      drain(t);
      assertThat(first.lines).hasSize(23);
      saved = stored(t, first);
    }
    RecordingListener second = new RecordingListener();
    try (Tailer t = new Tailer(config(), second)) {
      t.restore(saved);
      t.track(f, now);
      t.recover(now);
      drain(t);
      assertThat(second.lines).isEmpty();
    }
  }
  /**
   * Issue 14, per-path order: after a restart the tailer catches up on copies made while it was down (the known
   * generation's tail, then later copies whole) while the file at the path waits behind them. A copytruncate of the
   * file at the path in that window used to have its copy read at once, as the rest of that file, ahead of the older
   * copies not yet at their end (the bench's "app.log@4,322,200 before app.log.1@1,048,400's tail").
   */
  @Test
  void aCopytruncateWhileCatchingUpOnOlderCopiesAfterARestartIsReadAfterThem() throws Exception {
    Path f = dir.resolve("app.log");
    Files.writeString(f, gen("g0", 20));
    RecordingListener first = new RecordingListener();
    List<Checkpoint> saved;
    try (Tailer t = new Tailer(config(), first)) {
      t.track(f, now);
      drain(t);
      saved = stored(t, first);
    }
    // While the agent is down: g0's tail is written, then two copytruncates (g0 -> app.log.2, g1 -> app.log.1).
    Files.writeString(f, gen("g0-tail", 10), StandardOpenOption.APPEND);
    rotateCopytruncate(f);
    Files.writeString(f, gen("g1", 300), StandardOpenOption.APPEND); // ~10 KB: more than one poll's budget (4 KiB)
    rotateCopytruncate(f);
    Files.writeString(f, gen("g2", 30), StandardOpenOption.APPEND);
    List<String> want = new ArrayList<>(linesOf(gen("g0-tail", 10)));
    want.addAll(linesOf(gen("g1", 300)));
    want.addAll(linesOf(gen("g2", 30)));
    want.addAll(linesOf(gen("g2-more", 5)));
    want.addAll(linesOf(gen("g3", 5)));
    RecordingListener second = new RecordingListener();
    try (Tailer t = new Tailer(config(), second)) {
      t.restore(saved);
      t.track(f, now);
      assertThat(t.recover(now)).isEmpty();
      assertThat(t.poll(now)).as("app.log.1 (g1) is not at its end after one poll").isTrue();
      assertThat(second.lines).doesNotContain("g1-299 some text to make it longer");
      // The restarted agent is still reading g1's copy when logrotate copytruncates g2.
      Files.writeString(f, gen("g2-more", 5), StandardOpenOption.APPEND);
      rotateCopytruncate(f);
      Files.writeString(f, gen("g3", 5), StandardOpenOption.APPEND);
      now += 1000;
      drain(t);
      assertThat(second.lines).containsExactlyElementsOf(want);
    }
  }
  /**
   * Issue 14: when a rotation is noticed, the files that were at the path since the last look that found the old
   * file there are searched for (rotations faster than the looks). The search used to start at the look made after
   * the rotation was noticed; with more than the 2 s slack between two looks (a starved tailing thread) a file that
   * came and went in between was never read.
   */
  @Test
  void aFileThatCameAndWentBetweenTwoLooksFarApartIsReadInRotationOrder() throws Exception {
    Path f = dir.resolve("app.log");
    Files.writeString(f, gen("x", 10));
    RecordingListener l = new RecordingListener();
    try (Tailer t = new Tailer(config(), l)) {
      t.track(f, now);
      drain(t);
      rotateCreate(f); // x -> app.log.1, y at the path ...
      Files.writeString(f, gen("y", 10));
      rotateCreate(f); // ... and gone before the next look: y -> app.log.1, x -> app.log.2, z at the path
      Files.writeString(f, gen("z", 10));
      Instant yWritten = Files.getLastModifiedTime(dir.resolve("app.log.1")).toInstant();
      Instant past = yWritten.plusMillis(2_500); // the next look comes more than the slack later
      Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10))
          .until(() -> Instant.now().isAfter(past));
      now += SECOND;
      drain(t);
      List<String> want = new ArrayList<>(linesOf(gen("x", 10)));
      want.addAll(linesOf(gen("y", 10)));
      want.addAll(linesOf(gen("z", 10)));
      assertThat(l.lines).containsExactlyElementsOf(want);
    }
  }
}
