package io.sluice.collector;

import io.sluice.collector.embedded.EmbeddedKafka;
import java.util.UUID;

/**
 * One embedded broker per test JVM, started on first use and closed by a shutdown hook (its threads are not
 * daemons; the forked test JVM exits through System.exit, which runs the hook). Tests make their own topics.
 */
public final class SharedKafka {
  private static EmbeddedKafka kafka;

  private SharedKafka() {}

  public static synchronized EmbeddedKafka get() {
    if (kafka == null) {
      kafka = EmbeddedKafka.start();
      EmbeddedKafka k = kafka;
      Runtime.getRuntime().addShutdownHook(new Thread(k::close, "shared-kafka-close"));
    }
    return kafka;
  }

  public static String bootstrap() {
    return get().bootstrapServers();
  }

  /** A new topic with a unique name starting with {@code prefix}. */
  public static String newTopic(String prefix, int partitions) {
    String topic = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    get().createTopic(topic, partitions, 1);
    return topic;
  }
}
