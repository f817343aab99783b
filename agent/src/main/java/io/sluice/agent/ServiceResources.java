package io.sluice.agent;

import io.sluice.agent.parse.PodServiceName;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.KeyValue;
import io.sluice.wire.BatchWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The batch resource of each file: the agent's resource with {@code service.name} set per file as
 * {@code serviceNameFrom} says ({@link PodServiceName}), encoded once per service as the leading bytes of a
 * LogBatch ({@link BatchWriter#resource} starts a batch with them). A batch holds the lines of one service, so the
 * collector's Kafka key, routing and the backend's per-service figures see each pod's service, not the node's.
 * Bounded: at most {@value #MAX_SERVICES} encodings are kept (least recently used dropped; an evicted one is encoded
 * again, equal bytes). Not thread-safe: used on the tailing thread.
 */
final class ServiceResources {
  static final int MAX_SERVICES = 1024;
  private final List<KeyValue> base;
  private final String configured;
  private final PodServiceName.Mode mode;
  private final byte[] configuredBytes;
  private final Map<String, byte[]> encoded = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, byte[]> eldest) {
      return size() > MAX_SERVICES;
    }
  };

  ServiceResources(List<KeyValue> resource, String configuredService, PodServiceName.Mode mode) {
    this.base = List.copyOf(resource);
    this.configured = configuredService;
    this.mode = mode;
    this.configuredBytes = encode(configuredService);
  }

  /** The resource of every line when no per-file name applies. */
  byte[] configured() {
    return configuredBytes;
  }

  /** The encoded resource of the lines of the file at {@code path}. */
  byte[] forPath(Path path) {
    String service = PodServiceName.of(mode, path, configured);
    if (service == null || service.isBlank() || service.equals(configured)) return configuredBytes;
    return encoded.computeIfAbsent(service, this::encode);
  }

  private byte[] encode(String service) {
    List<KeyValue> r = new ArrayList<>(base.size());
    for (KeyValue kv : base) {
      r.add(kv.getKey().equals("service.name")
          ? kv.toBuilder().setValue(AnyValue.newBuilder().setStringValue(service)).build() : kv);
    }
    return BatchWriter.encodeResource(r);
  }
}
