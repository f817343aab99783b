package io.sluice.sdk.spool;

/**
 * One spooled batch: its sequence number, how many records it holds, the size of its encoded {@code LogBatch}
 * and the zstd-compressed payload. Immutable (the payload array is not copied: do not modify it).
 */
public record SpoolEntry(long sequence, int recordCount, long uncompressedSize, byte[] payload) {}
