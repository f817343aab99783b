package io.sluice.backend.search;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.opensearch.client.opensearch.OpenSearchClient;
import org.opensearch.client.opensearch.generic.Requests;
import org.opensearch.client.opensearch.generic.Response;

/**
 * Installs {@code opensearch/index-template.json} (mappings and settings of every {@code sluice-logs-*} index) as a
 * composable index template. Idempotent: a PUT replaces the template with the same content.
 */
public final class IndexTemplate {
  public static final String NAME = "sluice-logs";
  static final String RESOURCE = "/opensearch/index-template.json";

  private IndexTemplate() {}

  /**
   * @param indexPrefix the daily indices' prefix; the template's pattern becomes {@code prefix*}
   * @param replicas replicas per shard (1 in production; 0 for a single-node cluster)
   */
  public static void install(OpenSearchClient client, String indexPrefix, int replicas) throws IOException {
    String json = json()
        .replace("\"sluice-logs-*\"", "\"" + indexPrefix + "*\"")
        .replace("\"number_of_replicas\": 1", "\"number_of_replicas\": " + replicas);
    try (Response r = client.generic().execute(
        Requests.builder().method("PUT").endpoint("/_index_template/" + NAME + nameSuffix(indexPrefix)).json(json)
            .build())) {
      if (r.getStatus() / 100 != 2) {
        String body = r.getBody().map(b -> b.bodyAsString()).orElse("");
        throw new IOException("installing index template " + NAME + " failed: HTTP " + r.getStatus() + " " + body);
      }
    }
  }

  private static String nameSuffix(String prefix) {
    return LogDocuments.DEFAULT_INDEX_PREFIX.equals(prefix) ? "" : "-" + prefix.replaceAll("[^a-z0-9_-]", "");
  }

  static String json() {
    try (InputStream in = IndexTemplate.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + RESOURCE, e);
    }
  }
}
