package io.sluice.backend.search;

import io.sluice.backend.common.LogEvent;
import io.sluice.backend.common.Sink;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.opensearch.client.opensearch.core.BulkRequest;
import org.opensearch.client.opensearch.core.BulkResponse;
import org.opensearch.client.opensearch.core.bulk.BulkOperation;
import org.opensearch.client.opensearch.core.bulk.BulkResponseItem;

/**
 * Indexes log events through the bulk API: one document per event in the daily index of its event time
 * ({@link LogDocuments#index}), with {@code _id} = the record identity, so writing an event again (a duplicate from
 * the collector, or a replay) overwrites the same document. {@link #write} returns when OpenSearch acknowledged every
 * document (the translog is fsynced per request by default); if any item failed it throws with the first failures
 * and the caller retries the whole list. One thread at a time; blocks for one bulk round trip.
 */
public final class OpenSearchSink implements Sink<LogEvent> {
  private static final int MAX_REPORTED_FAILURES = 5;

  private final OpenSearchConnection.Client client;
  private final String indexPrefix;

  OpenSearchSink(OpenSearchConnection.Client client, String indexPrefix) {
    this.client = client;
    this.indexPrefix = indexPrefix;
  }

  @Override
  public void write(List<LogEvent> events) throws IOException {
    if (events.isEmpty()) {
      return;
    }
    List<BulkOperation> ops = new ArrayList<>(events.size());
    for (LogEvent e : events) {
      String index = LogDocuments.index(indexPrefix, e);
      String id = LogDocuments.id(e);
      Object doc = LogDocuments.document(e);
      ops.add(BulkOperation.of(op -> op.index(i -> i.index(index).id(id).document(doc))));
    }
    BulkResponse response = client.client().bulk(BulkRequest.of(b -> b.operations(ops)));
    if (response.errors()) {
      List<String> failures = new ArrayList<>();
      int failed = 0;
      for (BulkResponseItem item : response.items()) {
        if (item.error() != null) {
          failed++;
          if (failures.size() < MAX_REPORTED_FAILURES) {
            failures.add(item.index() + "/" + item.id() + ": HTTP " + item.status() + " " + item.error().type()
                + " " + item.error().reason());
          }
        }
      }
      throw new IOException(failed + " of " + events.size() + " documents were not indexed (retry the batch: "
          + "documents are keyed by record identity); first: " + String.join("; ", failures));
    }
  }

  @Override
  public void close() throws Exception {
    client.close();
  }
}
