package io.sluice.backend.search;

import io.sluice.backend.common.LogEvent;
import io.sluice.backend.common.Sink;
import io.sluice.backend.common.SinkFactory;

/**
 * Serializable recipe for an {@link OpenSearchSink}: the connection, the daily index prefix (default
 * {@code sluice-logs-}) and whether {@link #open()} installs the index template first (idempotent; on by default,
 * so no index is ever created without the mappings).
 */
public final class OpenSearchSinkFactory implements SinkFactory<LogEvent> {
  private static final long serialVersionUID = 1L;

  private final OpenSearchConnection connection;
  private final String indexPrefix;
  private final boolean installTemplate;
  private final int replicas;

  /**
   * @param indexPrefix lower case, ends with {@code -}, e.g. {@code sluice-logs-}
   * @param installTemplate install the template on open
   * @param replicas replicas in the installed template (1 in production, 0 on a single node)
   */
  public OpenSearchSinkFactory(
      OpenSearchConnection connection, String indexPrefix, boolean installTemplate, int replicas) {
    if (indexPrefix == null || !indexPrefix.matches("[a-z0-9][a-z0-9_.-]*-")) {
      throw new IllegalArgumentException("index prefix '" + indexPrefix
          + "' must be lower case letters, digits, '_', '.' or '-' and end with '-', e.g. "
          + LogDocuments.DEFAULT_INDEX_PREFIX);
    }
    if (replicas < 0) {
      throw new IllegalArgumentException("replicas is " + replicas + "; use 0 or more");
    }
    this.connection = connection;
    this.indexPrefix = indexPrefix;
    this.installTemplate = installTemplate;
    this.replicas = replicas;
  }

  public OpenSearchSinkFactory(OpenSearchConnection connection) {
    this(connection, LogDocuments.DEFAULT_INDEX_PREFIX, true, 1);
  }

  @Override
  public Sink<LogEvent> open() throws Exception {
    OpenSearchConnection.Client client = connection.open();
    try {
      if (installTemplate) {
        IndexTemplate.install(client.client(), indexPrefix, replicas);
      }
      return new OpenSearchSink(client, indexPrefix);
    } catch (Exception e) {
      client.close();
      throw e;
    }
  }
}
