package io.sluice.agent.tail;

/**
 * One line of a file, without its terminator ({@code \n} or {@code \r\n}). {@code start} is the offset of its first
 * byte, {@code end} the offset just past its terminator: resuming at {@code end} reads the next line. When the line
 * was longer than the limit, {@code text} holds its first bytes and {@code truncated} is set. Immutable.
 */
public record Line(String text, long start, long end, boolean truncated) {}
