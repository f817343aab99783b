package io.sluice.backend.search;

import java.io.Serializable;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.message.BasicHeader;
import org.opensearch.client.json.jackson.JacksonJsonpMapper;
import org.opensearch.client.opensearch.OpenSearchClient;
import org.opensearch.client.transport.OpenSearchTransport;
import org.opensearch.client.transport.httpclient5.ApacheHttpClient5TransportBuilder;

/**
 * Where the cluster is and how to log in: node URLs, an optional user and the name of the environment variable
 * holding its password. Serializable configuration only; {@link #open()} makes a client (the caller closes it).
 */
public record OpenSearchConnection(List<String> urls, String user, String passwordEnv) implements Serializable {

  public OpenSearchConnection {
    if (urls == null || urls.isEmpty()) {
      throw new IllegalArgumentException("OpenSearch URLs are empty; give at least one, e.g. http://opensearch:9200");
    }
    for (String url : urls) {
      URI u;
      try {
        u = URI.create(url);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("OpenSearch URL '" + url + "' is not a URL; use http(s)://host:port");
      }
      if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null || u.getPort() < 0) {
        throw new IllegalArgumentException("OpenSearch URL '" + url + "' needs a scheme, host and port, e.g. "
            + "http://opensearch:9200");
      }
    }
    urls = List.copyOf(urls);
  }

  public static OpenSearchConnection of(String... urls) {
    return new OpenSearchConnection(List.of(urls), null, null);
  }

  /** A client and its transport; close the returned {@link Client}. */
  public Client open() {
    List<HttpHost> hosts = new ArrayList<>();
    for (String url : urls) {
      URI u = URI.create(url);
      hosts.add(new HttpHost(u.getScheme(), u.getHost(), u.getPort()));
    }
    ApacheHttpClient5TransportBuilder builder =
        ApacheHttpClient5TransportBuilder.builder(hosts.toArray(HttpHost[]::new)).setMapper(new JacksonJsonpMapper());
    if (user != null) {
      String password = passwordEnv == null ? "" : System.getenv(passwordEnv);
      if (password == null) {
        throw new IllegalArgumentException("environment variable " + passwordEnv
            + " (the OpenSearch password) is not set; export it or drop the password option");
      }
      String basic = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
      builder.setDefaultHeaders(new Header[] {new BasicHeader("Authorization", "Basic " + basic)});
    }
    OpenSearchTransport transport = builder.build();
    return new Client(new OpenSearchClient(transport), transport);
  }

  /** An open client; closing it closes its HTTP connections. */
  public record Client(OpenSearchClient client, OpenSearchTransport transport) implements AutoCloseable {
    @Override
    public void close() throws Exception {
      transport.close();
    }
  }
}
