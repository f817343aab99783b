package io.sluice.backend.streaming;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.util.VarInt;

/**
 * The record indexes of one shipper batch that {@link DedupFn} has let through: an immutable set of ints, a bitset
 * for {@code 0 <= idx < DENSE_LIMIT} (a 100-record batch is two {@code long}s) and a sorted array for any other
 * index (negative, or {@code >= DENSE_LIMIT}), so one huge index costs 4 bytes, not a 256 MiB bitset. Immutable
 * because a state backend may hand the same object to a snapshot in progress: {@link #with} returns a copy.
 */
final class SeenIndexes {
  /** Indexes below this go in the bitset: at most 8 KiB per batch (typical batches are up to 8,192 records). */
  static final int DENSE_LIMIT = 1 << 16;

  static final SeenIndexes EMPTY = new SeenIndexes(new long[0], new int[0]);

  private final long[] words; // no trailing zero word
  private final int[] sparse; // sorted, distinct, each outside [0, DENSE_LIMIT)

  private SeenIndexes(long[] words, int[] sparse) {
    this.words = words;
    this.sparse = sparse;
  }

  boolean contains(int idx) {
    if (idx >= 0 && idx < DENSE_LIMIT) {
      int w = idx >>> 6;
      return w < words.length && (words[w] & (1L << idx)) != 0;
    }
    return Arrays.binarySearch(sparse, idx) >= 0;
  }

  /** This set plus {@code idx} (this very object when it is already in). */
  SeenIndexes with(int idx) {
    if (idx >= 0 && idx < DENSE_LIMIT) {
      int w = idx >>> 6;
      if (w < words.length && (words[w] & (1L << idx)) != 0) {
        return this;
      }
      long[] next = Arrays.copyOf(words, Math.max(words.length, w + 1));
      next[w] |= 1L << idx;
      return new SeenIndexes(next, sparse);
    }
    int at = Arrays.binarySearch(sparse, idx);
    if (at >= 0) {
      return this;
    }
    int ins = -at - 1;
    int[] next = new int[sparse.length + 1];
    System.arraycopy(sparse, 0, next, 0, ins);
    next[ins] = idx;
    System.arraycopy(sparse, ins, next, ins + 1, sparse.length - ins);
    return new SeenIndexes(words, next);
  }

  int size() {
    int n = sparse.length;
    for (long w : words) {
      n += Long.bitCount(w);
    }
    return n;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SeenIndexes s && Arrays.equals(words, s.words) && Arrays.equals(sparse, s.sparse);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(words) + Arrays.hashCode(sparse);
  }

  @Override
  public String toString() {
    return "SeenIndexes(" + size() + ")";
  }

  /** Varint word count, the words (8 bytes each), varint sparse count, the sparse indexes (4 bytes each). */
  static final class Coder extends AtomicCoder<SeenIndexes> {
    private static final Coder INSTANCE = new Coder();
    private static final int MAX_WORDS = DENSE_LIMIT / 64;

    static Coder of() {
      return INSTANCE;
    }

    @Override
    public void encode(SeenIndexes value, OutputStream out) throws IOException {
      DataOutputStream data = new DataOutputStream(out);
      VarInt.encode(value.words.length, out);
      for (long w : value.words) {
        data.writeLong(w);
      }
      VarInt.encode(value.sparse.length, out);
      for (int i : value.sparse) {
        data.writeInt(i);
      }
      data.flush();
    }

    @Override
    public SeenIndexes decode(InputStream in) throws IOException {
      DataInputStream data = new DataInputStream(in);
      int nWords = VarInt.decodeInt(in);
      if (nWords < 0 || nWords > MAX_WORDS) {
        throw new CoderException("bad SeenIndexes word count " + nWords);
      }
      long[] words = new long[nWords];
      for (int i = 0; i < nWords; i++) {
        words[i] = data.readLong();
      }
      int nSparse = VarInt.decodeInt(in);
      if (nSparse < 0) {
        throw new CoderException("bad SeenIndexes sparse count " + nSparse);
      }
      int[] sparse = new int[nSparse];
      for (int i = 0; i < nSparse; i++) {
        sparse[i] = data.readInt();
      }
      return new SeenIndexes(words, sparse);
    }

    @Override
    public void verifyDeterministic() {}
  }
}
