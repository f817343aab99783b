package io.sluice.backend.alerts;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** POSTs a JSON body to the webhook URL and returns the HTTP status; knows nothing of retries or threads. */
final class WebhookClient {
  private final HttpClient http;
  private final URI url;
  private final Duration requestTimeout;

  WebhookClient(URI url, Duration connectTimeout, Duration requestTimeout) {
    this.http = HttpClient.newBuilder().connectTimeout(connectTimeout).build();
    this.url = url;
    this.requestTimeout = requestTimeout;
  }

  /** The response; throws {@link IOException} when no response came (refused, reset, timed out). */
  HttpResponse<String> post(byte[] json) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(url)
        .timeout(requestTimeout)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(json))
        .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }
}
