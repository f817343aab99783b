package io.sluice.collector;

import java.nio.charset.StandardCharsets;
import java.util.function.BiConsumer;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one ZooKeeper node ({@code zookeeper.path}) with Curator's {@link CuratorCache} and hands its data, as
 * UTF-8 YAML text, to {@code onChange} when the node is first seen, created or changed; every collector watching
 * the node receives the same document. A deleted node changes nothing (the running configuration stays). Never
 * blocks the caller: the connection is made in the background (Curator retries with backoff while ZooKeeper is
 * unreachable, and the collector runs on what it has); callbacks run on the cache's single thread, in order.
 */
final class ZooKeeperConfigSource implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ZooKeeperConfigSource.class);

  private final CuratorFramework client;
  private final CuratorCache cache;

  ZooKeeperConfigSource(String connect, String path, BiConsumer<String, String> onChange) {
    String origin = "zookeeper " + connect + path;
    this.client = CuratorFrameworkFactory.newClient(connect, new ExponentialBackoffRetry(500, 10, 30_000));
    this.cache = CuratorCache.build(client, path, CuratorCache.Options.SINGLE_NODE_CACHE);
    cache.listenable().addListener(CuratorCacheListener.builder()
        .forCreatesAndChanges((before, now) -> deliver(now, origin, onChange))
        .forDeletes(gone -> log.warn("{} was deleted; the running configuration stays", origin))
        .build());
    client.start();
    cache.start();
    log.info("watching {} for the dynamic configuration", origin);
  }

  private static void deliver(ChildData node, String origin, BiConsumer<String, String> onChange) {
    byte[] data = node.getData();
    onChange.accept(data == null ? "" : new String(data, StandardCharsets.UTF_8), origin);
  }

  @Override
  public void close() {
    cache.close();
    client.close();
  }
}
