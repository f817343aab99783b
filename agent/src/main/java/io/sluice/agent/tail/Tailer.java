package io.sluice.agent.tail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a set of files as they grow and follows them through rotation and truncation. I/O only: the caller's
 * thread drives it ({@link #track}, {@link #poll}); it starts no thread and never sleeps.
 *
 * <p>Invariants: a file is known by {@link FileId} (one {@link TailedFile} per id, so a file renamed within the
 * include globs is not read twice); a file is held open until it was read to its end (or the deleted-file bound
 * passed), so an inode cannot be reused under it; lines reach the {@link LineHandler} in file order, and each
 * complete line exactly once per pass over its bytes (a restart resumes from a checkpoint at a record boundary).
 * Truncation (size below the read position, or the fingerprint no longer matching) flushes what was held and
 * restarts at offset 0.
 *
 * <p>Rotation order: the files of one watched path (its <em>lineage</em>: the file at the path, the rotated files
 * still being read, the rotated siblings found after a restart) are read oldest first — a file is read only when
 * every older file of its lineage is at its end — so a rotated file's tail reaches the handler before the head of the
 * file that replaced it. A copytruncate of the file at the path noticed while an older file of its lineage is not at
 * its end has its copy opened as a rotated file in that order, not read at once as the rest of the file. Identity: a file read to its end and released, and a copytruncate copy whose tail was read,
 * stay known by (dev, inode) and fingerprint ({@link Listener#remember}) while they exist, so no rotated sibling is
 * ever read twice. After a restart ({@link #recover}) the rotated siblings of every checkpointed path that are not
 * known, not compressed and were written after the checkpoint are read whole, in rotation order, before the file
 * now at the path.
 *
 * <p>Bounded: at most {@code maxOpenFiles} open files, one shared read buffer, and per file one line of at most
 * {@code maxLineBytes}; at most {@link #MAX_REMEMBERED} remembered identities. Not thread-safe; the metric getters of {@link TailedFile} may be read from other threads.
 */
public final class Tailer implements AutoCloseable {

  /** What the tailer asks of its owner. Called on the tailing thread. */
  public interface Listener {
    /** The handler that turns this file's lines into records. */
    LineHandler open(TailedFile file);

    /** Called after each line was handled: the owner may cut a batch here (the file's state is consistent). */
    void afterLine(TailedFile file, long nowNanos);

    /** Whether reading may go on (false while the spool is full: the file is its own buffer). */
    boolean mayRead();

    /**
     * The file was truncated; {@code lostBytes} were known to exist and were never read; {@code recoveredBytes}
     * were read from a copytruncate copy instead.
     */
    void truncated(TailedFile file, long lostBytes, long recoveredBytes);

    /**
     * The file was closed for good; its held lines were flushed before. The owner keeps its checkpoint (at the
     * file's end): the tailer remembers the file by identity until it is gone ({@link #forget}).
     */
    void released(TailedFile file, AbandonReason reason, long abandonedBytes);

    /**
     * A file that is not open is known by this checkpoint (a copytruncate copy whose tail was read): the owner
     * stores it with the records just read from it, so a restart never reads the copy again.
     */
    default void remember(Checkpoint checkpoint) {}

    /** The file of a remembered or released file's checkpoint is gone (or forgotten at the bound): delete it. */
    default void forget(Checkpoint checkpoint) {}
  }

  /** Identities remembered for released files and consumed copies; past this the oldest is forgotten. */
  public static final int MAX_REMEMBERED = 4096;
  /**
   * How much earlier than the agent's last look a rotated sibling may have been last written and still be read
   * after a restart: a file created at the path just before that look and not yet noticed (poll interval, the file
   * clock's coarseness). A sibling nobody knows that was last written within this window before the agent first
   * watched the path is read too.
   */
  static final long SIBLING_SLACK_MILLIS = 2_000;

  private final TailerConfig config;
  private final Listener listener;
  private final Map<FileId, TailedFile> files = new LinkedHashMap<>();
  private final Map<FileId, Checkpoint> restored = new HashMap<>();
  /** Every checkpoint handed to {@link #restore}, for {@link #recover}. */
  private final List<Checkpoint> restoredAll = new ArrayList<>();
  /** Released files and consumed copies that still exist: known by identity, never read again. Oldest first. */
  private final Map<FileId, Checkpoint> remembered = new LinkedHashMap<>();
  /** Open files per lineage: rotation order is only checked where a lineage has more than one. */
  private final Map<Path, Integer> lineageFiles = new HashMap<>();
  /** Remembered files not found by the last sweeps, and since when (see {@link #sweep}). */
  private final Map<FileId, Long> missingSince = new HashMap<>();
  private final ByteBuffer buffer;
  /** See {@link #restore(Collection, long)}; 0: unknown. */
  private long watchingSinceMillis;
  private long deferred;
  private long nextOrder;
  /** Metrics, read from other threads. */
  private volatile long siblingsAdopted;
  private volatile int rememberedCount;

  public Tailer(TailerConfig config, Listener listener) {
    this.config = config;
    this.listener = listener;
    this.buffer = ByteBuffer.allocate(config.readChunkBytes());
  }

  /**
   * Hands over the checkpoints of the previous run: a file found later with the same id and a matching fingerprint
   * resumes at its checkpoint; anything else starts at 0.
   */
  public void restore(Collection<Checkpoint> checkpoints) {
    restore(checkpoints, 0);
  }

  /**
   * As {@link #restore(Collection)}, and since when the agent has been watching ({@code watchingSinceMillis}, wall
   * clock, stored before its first look at any file; 0 when unknown or when this is its first start): a path found
   * by the first {@link #track} pass that no checkpoint names has its rotated siblings written since then searched
   * too by {@link #recover}. Such a path appeared while the agent was down, or a previous run was killed before it
   * stored the path's first checkpoint (under load a JVM may be killed between opening its spool and its first
   * write); either way its rotated files may hold lines nobody read.
   */
  public void restore(Collection<Checkpoint> checkpoints, long watchingSinceMillis) {
    for (Checkpoint c : checkpoints) {
      restored.put(c.id(), c);
      restoredAll.add(c);
    }
    this.watchingSinceMillis = watchingSinceMillis;
  }

  /**
   * After the first {@link #track} pass of a restart: (1) finds the files of checkpoints that were not seen at their
   * path, in the checkpoint's directory by (dev, inode) and fingerprint (rotated while the agent was down), and reads
   * them on from their checkpoint (one already read to its end is only remembered); (2) for every checkpointed path,
   * reads the rotated siblings written while the agent was down (same directory, name extending the path's name by
   * {@code .}, {@code -} or {@code _}, not compressed, not known by identity, not a copy of a generation already
   * known by fingerprint, last written no earlier than {@link #SIBLING_SLACK_MILLIS} before the newest checkpoint of
   * the path; for a path no checkpoint names, no earlier than {@link #SIBLING_SLACK_MILLIS} before the agent started
   * watching, see {@link #restore(Collection, long)}) whole; (3) orders each path's files oldest first (the numbered suffix, else the modification time),
   * the file now at the path last. Returns the checkpoints whose file is gone (the caller deletes them).
   */
  public List<Checkpoint> recover(long nowNanos) {
    List<Checkpoint> gone = new ArrayList<>();
    Map<Path, Long> seenAt = new LinkedHashMap<>();
    for (Checkpoint c : restoredAll) {
      if (c.seenAtMillis() > 0) seenAt.merge(Path.of(c.path()), c.seenAtMillis(), Math::max);
    }
    if (watchingSinceMillis > 0) {
      // Paths no checkpoint names: every file rotated away from them since the agent started watching is unknown.
      for (TailedFile f : files.values()) {
        boolean named = false;
        for (Checkpoint c : restoredAll) named |= c.path().equals(f.lineage.toString());
        if (!named) seenAt.putIfAbsent(f.lineage, watchingSinceMillis);
      }
    }
    Map<Path, List<TailedFile>> adopted = new LinkedHashMap<>();
    for (Iterator<Checkpoint> it = restored.values().iterator(); it.hasNext();) {
      Checkpoint c = it.next();
      it.remove();
      Path lineage = Path.of(c.path());
      Path found = findById(lineage.getParent(), c.id());
      if (found == null) found = findById(lineage.getParent(), c.id()); // a listing made amid renames may miss it
      int match = found == null ? -1 : matchesCheckpoint(found, c);
      if (match < 0) {
        gone.add(c); // gone, or its inode now holds another file (a candidate sibling below)
      } else if (match == 0) {
        remember(c, false); // read to its end before the restart: known, nothing to read
      } else {
        TailedFile f = open(found, c.id(), c, lineage, nowNanos);
        if (f == null) {
          gone.add(c);
        } else {
          f.state = FileState.ROTATED;
          adopted.computeIfAbsent(lineage, k -> new ArrayList<>()).add(f);
        }
      }
    }
    for (Path lineage : seenAt.keySet()) adopted.putIfAbsent(lineage, new ArrayList<>());
    for (Map.Entry<Path, List<TailedFile>> e : adopted.entrySet()) {
      Long seen = seenAt.get(e.getKey());
      List<Sibling> group = new ArrayList<>();
      for (TailedFile f : e.getValue()) group.add(Sibling.of(f.path, f.id));
      if (seen != null) group.addAll(unknownSiblings(e.getKey(), seen - SIBLING_SLACK_MILLIS, s -> true));
      readInRotationOrder(e.getKey(), group, nowNanos);
    }
    restoredAll.clear();
    return gone;
  }

  /**
   * After a restart, for a file whose checkpointed content was replaced (copytruncate while the agent was down):
   * finds the copy that starts with the checkpoint's fingerprint (the newest one), opens it from the checkpoint's
   * offset as a rotated file of f's lineage (or only remembers it when it holds nothing past that offset), and opens
   * the later copies whole. Returns the bytes the copy holds past the offset.
   */
  private long adoptTailCopy(TailedFile f, Checkpoint checkpoint, long nowNanos) throws IOException {
    Path dir = f.path.getParent();
    if (dir == null) return 0;
    String base = f.path.getFileName().toString();
    Path best = null;
    FileId bestId = null;
    long bestModified = Long.MIN_VALUE;
    try (DirectoryStream<Path> ds =
        Files.newDirectoryStream(dir, p -> isSiblingName(base, p.getFileName().toString()))) {
      for (Path p : ds) {
        if (!Files.isRegularFile(p)) continue;
        try (FileChannel copy = FileChannel.open(p, StandardOpenOption.READ)) {
          FileId id = FileId.of(p);
          if (id.equals(f.id) || files.containsKey(id) || remembered.containsKey(id)) continue;
          if (!checkpoint.fingerprint().matches(copy)) continue;
          long modified = Files.getLastModifiedTime(p).toMillis();
          if (best == null || modified > bestModified) {
            best = p;
            bestId = id;
            bestModified = modified;
          }
        } catch (IOException ignored) {
          // vanished or unreadable: try the next candidate
        }
      }
    } catch (IOException ignored) {
      return 0;
    }
    if (best == null) return 0;
    long size;
    Fingerprint copyFingerprint;
    try (FileChannel copy = FileChannel.open(best, StandardOpenOption.READ)) {
      size = copy.size();
      copyFingerprint = Fingerprint.of(copy, config.fingerprintBytes());
    }
    long rest = 0;
    if (size <= checkpoint.offset()) {
      remember(new Checkpoint(bestId, f.lineage.toString(), size, copyFingerprint, f.pathLookWallMillis), true);
    } else {
      TailedFile tail = open(best, bestId, new Checkpoint(bestId, f.lineage.toString(), checkpoint.offset(),
          checkpoint.fingerprint(), checkpoint.seenAtMillis()), f.lineage, nowNanos);
      if (tail == null) return 0;
      tail.state = FileState.ROTATED;
      rest = size - checkpoint.offset();
    }
    Sibling tailCopy = Sibling.of(best, bestId);
    List<Sibling> later = unknownSiblings(f.lineage, Long.MIN_VALUE, s -> s.compareRotation(tailCopy) > 0);
    readInRotationOrder(f.lineage, later, nowNanos);
    return rest;
  }

  /** 1: the file is the checkpoint's and has more to read; 0: it is and was read to its end; -1: it is another file. */
  private static int matchesCheckpoint(Path path, Checkpoint c) {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = ch.size();
      if (c.offset() > size || !c.fingerprint().matches(ch)) return -1;
      return c.offset() == size ? 0 : 1;
    } catch (IOException e) {
      return -1;
    }
  }

  /** A rotated sibling of a watched path: where it is now, what it is, and what orders it among its siblings. */
  private record Sibling(Path path, FileId id, long modifiedMillis, long number) {
    static Sibling of(Path path, FileId id) {
      long modified;
      try {
        modified = Files.getLastModifiedTime(path).toMillis();
      } catch (IOException e) {
        modified = Long.MAX_VALUE;
      }
      return new Sibling(path, id, modified, numberedSuffix(path));
    }

    /** Older first: by the numbered suffix when both have one ({@code .2} before {@code .1}), else by time, name. */
    int compareRotation(Sibling o) {
      if (number >= 0 && o.number >= 0) return Long.compare(o.number, number);
      int c = Long.compare(modifiedMillis, o.modifiedMillis);
      return c != 0 ? c : path.getFileName().toString().compareTo(o.path.getFileName().toString());
    }
  }

  /** N for {@code name.N} (logrotate's numbered suffix); -1 for anything else (dates, other schemes). */
  private static long numberedSuffix(Path p) {
    String n = p.getFileName().toString();
    int dot = n.lastIndexOf('.');
    if (dot < 0 || dot == n.length() - 1 || n.length() - dot > 10) return -1;
    for (int i = dot + 1; i < n.length(); i++) if (!Character.isDigit(n.charAt(i))) return -1;
    return Long.parseLong(n.substring(dot + 1));
  }

  private static boolean compressed(String name) {
    return name.endsWith(".gz") || name.endsWith(".zst") || name.endsWith(".bz2") || name.endsWith(".xz")
        || name.endsWith(".zip") || name.endsWith(".lz4");
  }

  /** {@code app.log.1}, {@code app.log-20261204}, {@code app.log_old} for {@code app.log}; not {@code app.logx}. */
  static boolean isSiblingName(String base, String name) {
    if (name.length() <= base.length() + 1 || !name.startsWith(base)) return false;
    char sep = name.charAt(base.length());
    return (sep == '.' || sep == '-' || sep == '_') && !compressed(name);
  }

  /**
   * The rotated siblings of {@code lineage} that nobody knows: not open, not remembered, not starting like a
   * generation of the lineage that is known by fingerprint (its copy), last written at or after {@code
   * notBeforeMillis}, and accepted by {@code filter}.
   */
  private List<Sibling> unknownSiblings(Path lineage, long notBeforeMillis,
      java.util.function.Predicate<Sibling> filter) {
    List<Sibling> out = new ArrayList<>();
    Path dir = lineage.getParent();
    if (dir == null || lineage.getFileName() == null) return out;
    String base = lineage.getFileName().toString();
    List<Fingerprint> knownGenerations = new ArrayList<>();
    for (TailedFile f : files.values()) if (f.lineage.equals(lineage)) knownGenerations.add(f.fingerprint);
    for (Checkpoint c : remembered.values())
      if (c.path().equals(lineage.toString())) knownGenerations.add(c.fingerprint());
    for (Checkpoint c : restoredAll) if (c.path().equals(lineage.toString())) knownGenerations.add(c.fingerprint());
    // Two listings: one made while logrotate renames (app.log.N -> N+1) may miss a file; by identity, each once.
    java.util.Set<FileId> listed = new java.util.HashSet<>();
    for (int pass = 0; pass < 2; pass++) {
      try (DirectoryStream<Path> ds =
          Files.newDirectoryStream(dir, p -> isSiblingName(base, p.getFileName().toString()))) {
        for (Path p : ds) {
          if (!Files.isRegularFile(p)) continue; // never open a FIFO or a directory
          FileId id;
          try {
            id = FileId.of(p);
          } catch (IOException e) {
            continue; // vanished
          }
          if (files.containsKey(id) || !listed.add(id)) continue;
          Sibling s = Sibling.of(p, id);
          if (s.modifiedMillis() < notBeforeMillis || !filter.test(s)) continue;
          try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            // Known: remembered, or a checkpoint of the restart not adopted yet (recover runs after the first scan).
            Checkpoint known = remembered.get(id);
            if (known == null) known = restored.get(id);
            if (known != null && (known.fingerprint().length() == 0 || known.fingerprint().matches(ch))) continue;
            boolean copyOfKnown = false;
            for (Fingerprint fp : knownGenerations) {
              // Short fingerprints (a tiny generation) would match too much: such a copy is read.
              if (fp.length() >= 16 && fp.matches(ch)) copyOfKnown = true;
            }
            if (!copyOfKnown) out.add(s);
          } catch (IOException ignored) {
            // vanished or unreadable: nothing to read
          }
        }
      } catch (IOException ignored) {
        // directory unreadable: nothing to adopt
      }
    }
    return out;
  }

  /**
   * Opens the not yet open files of {@code group} at offset 0 as rotated files of {@code lineage}, and orders every
   * rotated file of the lineage — those just opened and those already open — oldest first by their current names
   * (logrotate renames them: each is found again by identity), then the files still at the path.
   */
  private void readInRotationOrder(Path lineage, List<Sibling> group, long nowNanos) {
    for (Sibling s : group) {
      if (files.containsKey(s.id())) continue;
      TailedFile f = open(s.path(), s.id(), null, lineage, nowNanos);
      if (f == null) continue;
      f.state = FileState.ROTATED;
      siblingsAdopted = siblingsAdopted + 1; // one writer: the tailing thread
    }
    Map<FileId, Path> current = new HashMap<>();
    Path dir = lineage.getParent();
    String base = lineage.getFileName() == null ? "" : lineage.getFileName().toString();
    if (dir != null) {
      try (DirectoryStream<Path> ds =
          Files.newDirectoryStream(dir, p -> isSiblingName(base, p.getFileName().toString()))) {
        for (Path p : ds) {
          try {
            current.put(FileId.of(p), p);
          } catch (IOException ignored) {
            // vanished while listing
          }
        }
      } catch (IOException ignored) {
        // unreadable: the paths we know
      }
    }
    List<TailedFile> rotated = new ArrayList<>();
    List<Sibling> order = new ArrayList<>();
    for (TailedFile f : files.values()) {
      if (!f.lineage.equals(lineage) || f.state == FileState.ACTIVE) continue;
      rotated.add(f);
      order.add(Sibling.of(current.getOrDefault(f.id, f.path), f.id));
    }
    boolean allNumbered = order.stream().allMatch(s -> s.number() >= 0);
    order.sort(allNumbered ? Sibling::compareRotation
        : java.util.Comparator.comparingLong(Sibling::modifiedMillis)
            .thenComparing(s -> s.path().getFileName().toString()));
    for (Sibling s : order) files.get(s.id()).order = nextOrder++;
    for (TailedFile f : files.values()) {
      if (f.lineage.equals(lineage) && f.state == FileState.ACTIVE) f.order = nextOrder++;
    }
  }

  /** Remembers a file that is not open by identity; {@code tell}: the owner must store its checkpoint. */
  private void remember(Checkpoint c, boolean tell) {
    remembered.remove(c.id());
    remembered.put(c.id(), c);
    if (tell) listener.remember(c);
    if (remembered.size() > MAX_REMEMBERED) {
      Iterator<Checkpoint> it = remembered.values().iterator();
      Checkpoint oldest = it.next();
      it.remove();
      listener.forget(oldest);
    }
    rememberedCount = remembered.size();
  }

  /**
   * Forgets remembered files that are gone from their directory (the listener deletes their checkpoints). One
   * directory listing per directory; called at each scan. A listing made while files are renamed (logrotate shifting
   * app.log.N) may miss an entry, so a file is forgotten only after it was missing for {@link #FORGET_AFTER_NANOS}.
   */
  public void sweep(long nowNanos) {
    if (remembered.isEmpty()) return;
    Map<Path, java.util.Set<FileId>> present = new HashMap<>();
    for (Iterator<Checkpoint> it = remembered.values().iterator(); it.hasNext();) {
      Checkpoint c = it.next();
      Path dir = Path.of(c.path()).getParent();
      if (present.computeIfAbsent(dir, Tailer::idsIn).contains(c.id())) {
        missingSince.remove(c.id());
        continue;
      }
      Long since = missingSince.putIfAbsent(c.id(), nowNanos);
      if (since != null && nowNanos - since >= FORGET_AFTER_NANOS) {
        it.remove();
        missingSince.remove(c.id());
        listener.forget(c);
      }
    }
    rememberedCount = remembered.size();
  }

  /** How long a remembered file must be missing from its directory before it is forgotten. */
  static final long FORGET_AFTER_NANOS = 5_000_000_000L;

  private static java.util.Set<FileId> idsIn(Path dir) {
    java.util.Set<FileId> ids = new java.util.HashSet<>();
    if (dir == null) return ids;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        try {
          ids.add(FileId.of(p));
        } catch (IOException ignored) {
          // vanished while listing
        }
      }
    } catch (IOException ignored) {
      // directory gone: every file in it is gone
    }
    return ids;
  }

  /** Identities remembered now (released files and consumed copies that still exist). */
  public int rememberedFiles() {
    return rememberedCount;
  }

  /** Rotated siblings found unread and read whole (after a restart, or rotations faster than the agent looked). */
  public long siblingsAdopted() { // volatile: may be read from any thread
    return siblingsAdopted;
  }

  private static Path findById(Path dir, FileId id) {
    if (dir == null || !Files.isDirectory(dir)) return null;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        try {
          if (Files.isRegularFile(p) && FileId.of(p).equals(id)) return p;
        } catch (IOException ignored) {
          // vanished while listing
        }
      }
    } catch (IOException ignored) {
      // directory unreadable: treat as gone
    }
    return null;
  }

  /** Starts reading the file at {@code path} unless it is read already (then only its path is updated). */
  public void track(Path path, long nowNanos) {
    FileId id;
    try {
      id = FileId.of(path);
    } catch (IOException e) {
      return; // gone since discovery, or unreadable: the next scan tries again
    }
    TailedFile known = files.get(id);
    if (known != null) {
      if (!known.path.equals(path)) known.path = path; // renamed within the globs: same file, same offset
      known.state = FileState.ACTIVE;
      return;
    }
    if (files.size() >= config.maxOpenFiles()) {
      deferred++;
      return;
    }
    open(path, id, restored.remove(id), path, nowNanos);
  }

  private TailedFile open(Path path, FileId id, Checkpoint checkpoint, Path lineage, long nowNanos) {
    FileChannel ch;
    try {
      ch = FileChannel.open(path, StandardOpenOption.READ);
      if (!FileId.of(path).equals(id)) { // replaced between stat and open
        ch.close();
        return null;
      }
    } catch (IOException e) {
      return null;
    }
    try {
      long size = ch.size();
      long start = 0;
      boolean changedWhileDown = false;
      if (checkpoint != null) {
        if (checkpoint.offset() <= size && checkpoint.fingerprint().matches(ch)) start = checkpoint.offset();
        else changedWhileDown = checkpoint.fingerprint().length() > 0;
      }
      Fingerprint fp = changedWhileDown ? checkpoint.fingerprint() : Fingerprint.of(ch, config.fingerprintBytes());
      if (changedWhileDown) start = checkpoint.offset();
      TailedFile f = new TailedFile(id, path, lineage, ch, new LineSplitter(config.maxLineBytes(), start), fp, start,
          io.sluice.agent.parse.KubernetesPath.attributes(lineage), nowNanos);
      f.size = size;
      f.lastVerifiedSize = size;
      f.openedWallMillis = System.currentTimeMillis();
      // Opened at its path: a look at the path. Opened elsewhere (rotated): what its checkpoint knew, if anything.
      f.pathLookWallMillis = path.equals(lineage) ? f.openedWallMillis
          : checkpoint != null ? checkpoint.seenAtMillis() : 0;
      f.order = nextOrder++;
      if (remembered.remove(id) != null) rememberedCount = remembered.size(); // inode reused, or opened again
      missingSince.remove(id);
      f.handler = listener.open(f);
      files.put(id, f);
      lineageFiles.merge(lineage, 1, Integer::sum);
      if (changedWhileDown) {
        // Truncated (or the inode reused) while the agent was down: the rest of the checkpointed content is in a
        // copytruncate copy if there is one. It is opened as a rotated file of the lineage from the checkpoint's
        // offset (so it is read in rotation order with the other rotated files, after older ones still being
        // drained), the copies made after it are read whole, and this file starts over at 0.
        long recovered = adoptTailCopy(f, checkpoint, nowNanos);
        finishTruncation(f, 0, recovered, nowNanos);
      }
      return f;
    } catch (IOException e) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // nothing to do
      }
      return null;
    }
  }

  /**
   * One pass over every file: notices rotation, deletion and truncation, reads what was appended (at most
   * {@code maxBytesPerPoll} per file), releases files that are done. Returns true when some file has more bytes
   * waiting, so the caller should poll again at once.
   */
  public boolean poll(long nowNanos) {
    boolean more = false;
    List<TailedFile> done = null;
    List<TailedFile> replaced = null;
    // A snapshot: a truncation may open the copies made after it (see readCopyAfterTruncation).
    for (TailedFile f : new ArrayList<>(files.values())) {
      if (checkPath(f, nowNanos) == FileState.ROTATED) {
        if (replaced == null) replaced = new ArrayList<>();
        replaced.add(f);
      }
      try {
        more |= read(f, nowNanos);
      } catch (IOException e) {
        f.failed = true;
      }
      if (f.failed || (f.state != FileState.ACTIVE && readyToRelease(f, nowNanos))) {
        if (done == null) done = new ArrayList<>();
        done.add(f);
      }
    }
    if (done != null) {
      for (TailedFile f : done) release(f, nowNanos);
    }
    if (replaced != null) {
      for (TailedFile f : replaced) {
        // Files that were at the path after f and rotated away before we looked (rotations faster than our looks).
        // The last look that found f at the path, not this pass's look (made after f was found rotated): every
        // file at the path since then was written after it.
        long lookedAt = f.pathLookWallMillis != 0 ? f.pathLookWallMillis : f.openedWallMillis;
        List<Sibling> missed = unknownSiblings(f.lineage, lookedAt - SIBLING_SLACK_MILLIS, s -> true);
        if (!missed.isEmpty()) {
          readInRotationOrder(f.lineage, missed, nowNanos);
          more = true;
        }
        // The new file at a rotated path is read at once, not at the next scan, so no line waits on the rescan.
        track(f.path, nowNanos);
      }
    }
    return more;
  }

  /** Lets handlers emit what waited past their flush timeout. */
  public void tick(long nowNanos) {
    for (TailedFile f : files.values()) f.handler.tick(nowNanos);
  }

  /** The earliest handler deadline ({@link System#nanoTime()}); MAX_VALUE when none. */
  public long nextDeadline() {
    long d = Long.MAX_VALUE;
    for (TailedFile f : files.values()) d = Math.min(d, f.handler.nextDeadline());
    return d;
  }

  /** Updates the file's state from its path; returns the state it just entered, or null when unchanged. */
  private FileState checkPath(TailedFile f, long nowNanos) {
    if (f.state != FileState.ACTIVE) return null;
    FileState next;
    try {
      next = FileId.of(f.path).equals(f.id) ? FileState.ACTIVE : FileState.ROTATED;
    } catch (NoSuchFileException e) {
      next = FileState.DELETED;
    } catch (IOException e) {
      next = FileState.DELETED;
    }
    if (next == FileState.ACTIVE) return null;
    f.state = next;
    f.stateSinceNanos = nowNanos;
    return next;
  }

  /** Lines delivered by the chunk being fed ({@link #read}). */
  private long fedLines;

  private boolean read(TailedFile f, long nowNanos) throws IOException {
    long size = f.channel.size();
    long lookedAtNanos = wallNanos();
    long lookedAt = lookedAtNanos / 1_000_000;
    if (size != f.size) f.lastGrowthNanos = nowNanos;
    long known = f.size;
    f.size = size;
    long pos = f.splitter.position();
    // The fingerprint is checked on every pass (one read of at most fingerprintBytes, from the page cache): a
    // truncation followed by writes up to or past our position changes no size we could compare.
    if (size < pos || !f.fingerprint.matches(f.channel) || !tailMatches(f, pos)) {
      truncated(f, Math.max(0, known - pos), nowNanos);
      pos = 0;
    } else if (pos == 0 && f.fingerprint.length() == 0 && f.state == FileState.ACTIVE && f.lastLookWallNanos != 0
        && ctimeNanos(f.path) > f.lastLookWallNanos) {
          // Nothing was ever seen of this file and it changed since our last look: written, or written and then
          // copytruncated before we looked again. In the second case the bytes we never saw are in a new copy.
          long recovered = readCopyAfterTruncation(f, nowNanos);
          if (recovered > 0) {
            finishTruncation(f, 0, recovered, nowNanos);
            pos = 0;
          }
        }
    f.lastLookWallMillis = lookedAt;
    f.lastLookWallNanos = lookedAtNanos;
    // checkPath has just found it at its path (poll calls it first): this look is a look at the path.
    if (f.state == FileState.ACTIVE && f.path.equals(f.lineage)) f.pathLookWallMillis = lookedAt;
    if (size != f.lastVerifiedSize) {
      f.lastVerifiedSize = size;
      if (f.fingerprint.length() < config.fingerprintBytes() && size > f.fingerprint.length()) {
        f.fingerprint = Fingerprint.of(f.channel, config.fingerprintBytes());
      }
    }
    if (pos < size && waitsForOlder(f)) return true; // an older file of its lineage still has bytes: those first
    long budget = config.maxBytesPerPoll();
    while (pos < size && budget > 0) {
      if (!listener.mayRead()) return false;
      buffer.clear();
      if (buffer.remaining() > size - pos) buffer.limit((int) (size - pos));
      int n = f.channel.read(buffer, pos);
      if (n <= 0) break;
      buffer.flip();
      fedLines = 0;
      f.splitter.feed(buffer, (b, off, len, start, end, truncated, ascii) -> {
        fedLines++;
        f.handler.onBytes(b, off, len, start, end, truncated, ascii, nowNanos);
        listener.afterLine(f, nowNanos);
      });
      f.linesRead += fedLines; // once a chunk: a volatile write per line was a visible share of the tailing thread
      pos += n;
      budget -= n;
      f.bytesRead += n;
    }
    if (pos != f.tailCheckOffset) rememberTail(f, pos);
    return pos < size;
  }

  /** Whether an older file of f's lineage (a rotated file, a sibling found after a restart) is not at its end. */
  private boolean waitsForOlder(TailedFile f) throws IOException {
    if (lineageFiles.getOrDefault(f.lineage, 0) < 2) return false;
    for (TailedFile g : files.values()) {
      if (g != f && g.order < f.order && !g.failed && g.lineage.equals(f.lineage)
          && g.splitter.position() < g.channel.size()) {
        return true;
      }
    }
    return false;
  }

  /** Bytes before the read position that are checked on every pass (see {@link TailedFile#tailCheckHash}). */
  static final int TAIL_CHECK_BYTES = 64;

  private void rememberTail(TailedFile f, long pos) throws IOException {
    // Only past the fingerprint: before it, the fingerprint already covers these bytes.
    if (pos <= f.fingerprint.length()) {
      f.tailCheckOffset = -1;
      return;
    }
    f.tailCheckHash = tailHash(f.channel, pos);
    f.tailCheckOffset = pos;
  }

  /** Whether the bytes before {@code pos} are those we read (true when there is nothing to compare). */
  private static boolean tailMatches(TailedFile f, long pos) throws IOException {
    if (f.tailCheckOffset != pos || pos < TAIL_CHECK_BYTES) return true;
    return tailHash(f.channel, pos) == f.tailCheckHash;
  }

  private static long tailHash(FileChannel ch, long pos) throws IOException {
    int n = (int) Math.min(TAIL_CHECK_BYTES, pos);
    ByteBuffer b = ByteBuffer.allocate(n);
    long at = pos - n;
    while (b.hasRemaining()) {
      int r = ch.read(b, at + b.position());
      if (r < 0) return Long.MIN_VALUE; // shorter than we read: changed
    }
    b.flip();
    java.util.zip.CRC32C c = new java.util.zip.CRC32C();
    c.update(b);
    return c.getValue() | ((long) n << 32);
  }

  private static long wallNanos() {
    java.time.Instant now = java.time.Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  /** The file's ctime in epoch nanoseconds; Long.MIN_VALUE when it cannot be read. */
  private static long ctimeNanos(Path path) {
    try {
      java.time.Instant t = ((java.nio.file.attribute.FileTime) Files.getAttribute(path, "unix:ctime")).toInstant();
      return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    } catch (IOException | RuntimeException e) {
      return Long.MIN_VALUE;
    }
  }

  private void truncated(TailedFile f, long lostBytes, long nowNanos) throws IOException {
    long recovered = readCopyAfterTruncation(f, nowNanos);
    finishTruncation(f, recovered > 0 ? 0 : lostBytes, recovered, nowNanos);
  }

  private void finishTruncation(TailedFile f, long lostBytes, long recovered, long nowNanos) throws IOException {
    f.tailCheckOffset = -1;
    f.splitter.flushPartial(line -> {
      f.linesRead++;
      f.handler.onLine(line, nowNanos);
    });
    f.handler.flush(nowNanos);
    f.splitter.reset(0);
    f.recordEnd = 0;
    f.truncations++;
    f.fingerprint = Fingerprint.of(f.channel, config.fingerprintBytes());
    f.lastVerifiedSize = f.channel.size();
    listener.truncated(f, lostBytes, recovered);
  }

  /**
   * copytruncate copies the file, then truncates it: the bytes written after our last read are in the copy. When a
   * sibling named like the file ({@code app.log.1}, {@code app.log-20240501}) starts with the same fingerprint and
   * reaches past our position, its bytes from our position on are read as the rest of this file. Returns the bytes
   * read from the copy (0 when there is none, e.g. a plain truncation).
   */
  private long readCopyAfterTruncation(TailedFile f, long nowNanos) {
    long pos = f.splitter.position();
    Path dir = f.path.getParent();
    String name = f.path.getFileName().toString();
    if (dir == null) return 0;
    boolean unseen = f.fingerprint.length() == 0;
    long sizeNow;
    try {
      sizeNow = f.channel.size();
    } catch (IOException e) {
      return 0;
    }
    if (unseen && f.lastLookWallNanos == 0) return 0;
    // A copy made before our last look at the file is an older rotation that merely starts alike. With nothing seen
    // of the file (no fingerprint to match), only a copy made strictly after our last look and larger than what the
    // file holds now can be its copytruncate copy.
    long notBefore = f.lastLookWallMillis == 0 ? Long.MIN_VALUE : f.lastLookWallMillis - 1000;
    Path best = null;
    long bestModified = Long.MIN_VALUE;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, p -> {
      String n = p.getFileName().toString();
      return n.length() > name.length() && n.startsWith(name) && !n.endsWith(".gz") && !n.endsWith(".zst");
    })) {
      for (Path candidate : ds) {
        try (FileChannel copy = FileChannel.open(candidate, StandardOpenOption.READ)) {
          FileId id = FileId.of(candidate);
          if (id.equals(f.id) || files.containsKey(id)) continue;
          // A copy shorter than our position is still this generation's copy (we read past logrotate's copy
          // before its truncation): it is chosen, nothing is read from it, and it is remembered.
          if (!f.fingerprint.matches(copy) || (unseen && copy.size() < pos)) continue;
          if (unseen && (copy.size() <= Math.max(pos, sizeNow) || ctimeNanos(candidate) <= f.lastLookWallNanos))
            continue;
          if (((java.nio.file.attribute.FileTime) Files.getAttribute(candidate, "unix:ctime")).toMillis() < notBefore)
            continue;
          long modified = Files.getLastModifiedTime(candidate).toMillis();
          if (best == null || modified > bestModified) {
            best = candidate;
            bestModified = modified;
          }
        } catch (IOException ignored) {
          // vanished or unreadable: try the next candidate
        }
      }
    } catch (IOException ignored) {
      return 0; // directory unreadable: nothing to recover
    }
    if (best == null) return 0;
    try {
      // Per-path order: while an older file of the lineage (a copy being caught up on after a restart) still has
      // bytes, this file has read nothing since it was put behind it, and neither may its copy be read now.
      if (!f.splitter.hasPartial() && waitsForOlder(f)) return adoptCopyInOrder(f, best, pos, nowNanos);
    } catch (IOException e) {
      return 0;
    }
    // The newest copy that starts like the file is the one just made.
    try (FileChannel copy = FileChannel.open(best, StandardOpenOption.READ)) {
      FileId copyId = FileId.of(best);
      Fingerprint copyFingerprint = Fingerprint.of(copy, config.fingerprintBytes());
      long size = copy.size();
      long p = pos;
      while (p < size) {
        buffer.clear();
        if (buffer.remaining() > size - p) buffer.limit((int) (size - p));
        int n = copy.read(buffer, p);
        if (n <= 0) break;
        buffer.flip();
        f.splitter.feed(buffer, line -> {
          f.linesRead++;
          f.handler.onLine(line, nowNanos);
          listener.afterLine(f, nowNanos);
        });
        p += n;
        f.bytesRead += n;
      }
      // Known from now on (stored with the records just read): never read again, not even after a restart.
      remember(new Checkpoint(copyId, f.lineage.toString(), Math.min(p, size), copyFingerprint,
          f.pathLookWallMillis), true);
      // Copies of later generations (several copytruncates since our last look, e.g. while the agent was down) are
      // read whole, in rotation order, before the file goes on from 0.
      Sibling tailCopy = Sibling.of(best, copyId);
      List<Sibling> later = unknownSiblings(f.lineage, Long.MIN_VALUE, s -> s.compareRotation(tailCopy) > 0);
      if (!later.isEmpty()) readInRotationOrder(f.lineage, later, nowNanos);
      return size <= pos ? 0 : Math.max(1, p - pos);
    } catch (IOException e) {
      return 0;
    }
  }

  /**
   * The copytruncate copy of f's generation, found while an older file of f's lineage is not at its end: opened as a
   * rotated file of the lineage from f's position (or only remembered when it holds nothing past it), with the
   * later copies whole, and every rotated file of the lineage ordered before f — so its bytes are read after the
   * older files' and before f's new generation, as {@link #adoptTailCopy} does after a restart. Returns the bytes the
   * copy holds past f's position (read later, in order).
   */
  private long adoptCopyInOrder(TailedFile f, Path copyPath, long pos, long nowNanos) throws IOException {
    FileId copyId;
    long size;
    Fingerprint copyFingerprint;
    try (FileChannel copy = FileChannel.open(copyPath, StandardOpenOption.READ)) {
      copyId = FileId.of(copyPath);
      size = copy.size();
      copyFingerprint = Fingerprint.of(copy, config.fingerprintBytes());
    }
    long rest = 0;
    if (size <= pos) {
      remember(new Checkpoint(copyId, f.lineage.toString(), size, copyFingerprint, f.pathLookWallMillis), true);
    } else {
      TailedFile tail = open(copyPath, copyId, new Checkpoint(copyId, f.lineage.toString(), pos, copyFingerprint,
          f.pathLookWallMillis), f.lineage, nowNanos);
      if (tail == null) return 0; // vanished since the listing: as if there were no copy
      tail.state = FileState.ROTATED;
      rest = size - pos;
    }
    Sibling tailCopy = Sibling.of(copyPath, copyId);
    List<Sibling> later = unknownSiblings(f.lineage, Long.MIN_VALUE, s -> s.compareRotation(tailCopy) > 0);
    readInRotationOrder(f.lineage, later, nowNanos);
    return rest;
  }

  private boolean readyToRelease(TailedFile f, long nowNanos) {
    boolean drained = f.splitter.position() >= f.size;
    if (drained) return nowNanos - f.lastGrowthNanos >= config.releaseAfterNanos();
    return f.state == FileState.DELETED && nowNanos - f.stateSinceNanos >= config.deletedMaxHoldNanos();
  }

  private void release(TailedFile f, long nowNanos) {
    long size = f.size;
    try {
      size = f.channel.size();
    } catch (IOException ignored) {
      // keep the last known size
    }
    long abandoned = Math.max(0, size - f.splitter.position());
    f.splitter.flushPartial(line -> {
      f.linesRead++;
      f.handler.onLine(line, nowNanos);
    });
    f.handler.flush(nowNanos);
    files.remove(f.id);
    lineageFiles.computeIfPresent(f.lineage, (k, v) -> v > 1 ? v - 1 : null);
    // Remembered whatever its state: a file seen as deleted may only have been renamed out of the path (the path
    // was missing for a moment); the sweep forgets it once it is really gone.
    remember(new Checkpoint(f.id, f.lineage.toString(), f.splitter.position(), f.fingerprint,
        f.pathLookWallMillis), false);
    try {
      f.channel.close();
    } catch (IOException ignored) {
      // closing a read-only channel: nothing lost
    }
    AbandonReason reason = abandoned == 0 ? null : f.failed ? AbandonReason.UNREADABLE : AbandonReason.DELETED;
    listener.released(f, reason, abandoned);
  }

  /** Emits every held line of every file, as if each had ended (dry runs; never on a drain, see {@link #close}). */
  public void flushAll(long nowNanos) {
    for (TailedFile f : files.values()) {
      f.splitter.flushPartial(line -> {
        f.linesRead++;
        f.handler.onLine(line, nowNanos);
      });
      f.handler.flush(nowNanos);
    }
  }

  /** Open files, in the order they were found. */
  public Collection<TailedFile> files() {
    return Collections.unmodifiableCollection(files.values());
  }

  /** Matches not opened because {@code maxOpenFiles} were open. */
  public long deferred() {
    return deferred;
  }

  /** Closes every file without flushing: held lines are re-read after a restart from the checkpoints. */
  @Override
  public void close() {
    for (TailedFile f : files.values()) {
      try {
        f.channel.close();
      } catch (IOException ignored) {
        // nothing to do
      }
    }
    files.clear();
  }
}
