package io.sluice.agent;

import io.sluice.agent.tail.AbandonReason;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The agent's counters, written on the tailing thread and read by the metrics endpoint. Names and meanings are in
 * the agent's README (metrics table); the Prometheus names are built in {@link AgentHttp}.
 */
final class AgentStats {
  final LongAdder linesRead = new LongAdder();
  final LongAdder bytesRead = new LongAdder();
  final LongAdder records = new LongAdder();
  /** Lines longer than {@code tail.maxLineBytes}, cut and flagged. */
  final LongAdder linesTruncated = new LongAdder();
  /** Records flagged truncated (a cut line, or a multiline event past its limits). */
  final LongAdder recordsTruncated = new LongAdder();
  final LongAdder batchesSpooled = new LongAdder();
  /** Times a batch found the spool full (reading paused until the shipper made room). */
  final LongAdder spoolFullWaits = new LongAdder();
  /** Spool writes refused because its disk was full (ENOSPC): reading waited, nothing dropped. */
  final LongAdder diskFullWaits = new LongAdder();
  final LongAdder filesOpened = new LongAdder();
  final LongAdder filesReleased = new LongAdder();
  final LongAdder truncations = new LongAdder();
  /** Bytes read from a copytruncate copy: written after the last read and before the truncation. */
  final LongAdder recoveredFromCopyBytes = new LongAdder();
  final Map<AbandonReason, LongAdder> abandonedBytes = new EnumMap<>(AbandonReason.class);

  AgentStats() {
    for (AbandonReason r : AbandonReason.values()) abandonedBytes.put(r, new LongAdder());
  }
}
