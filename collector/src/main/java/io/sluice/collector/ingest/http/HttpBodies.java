package io.sluice.collector.ingest.http;

import com.sun.net.httpserver.HttpExchange;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.zip.GZIPInputStream;

/**
 * Reads request bodies with hard bounds (compressed and decompressed) and writes responses, for the HTTP ingest
 * endpoints. A bound exceeded is a {@link TooLarge}; nothing larger than the bound plus one buffer is held.
 */
final class HttpBodies {
  private HttpBodies() {}

  /** The body was larger than a bound; answer 413. */
  static final class TooLarge extends Exception {
    TooLarge(String message) {
      super(message);
    }
  }

  /**
   * The request body, gunzipped if {@code Content-Encoding: gzip}.
   *
   * @param maxBytes largest body on the wire ({@code limits.maxFrameBytes})
   * @param maxDecodedBytes largest body after gunzip ({@code limits.maxDecompressedBytes})
   */
  static byte[] read(HttpExchange ex, int maxBytes, int maxDecodedBytes) throws IOException, TooLarge {
    String encoding = ex.getRequestHeaders().getFirst("Content-Encoding");
    byte[] wire = readAtMost(ex.getRequestBody(), maxBytes, "the request body is larger than limits.maxFrameBytes ("
        + maxBytes + " bytes); send smaller requests");
    if (encoding == null || encoding.isBlank() || encoding.equalsIgnoreCase("identity")) {
      return wire;
    }
    if (!encoding.equalsIgnoreCase("gzip")) {
      throw new IOException("Content-Encoding " + encoding + " is not supported; use gzip or none");
    }
    try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(wire))) {
      return readAtMost(in, maxDecodedBytes, "the gunzipped body is larger than limits.maxDecompressedBytes ("
          + maxDecodedBytes + " bytes)");
    }
  }

  private static byte[] readAtMost(InputStream in, int max, String tooLarge) throws IOException, TooLarge {
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(max, 64 * 1024));
    byte[] buf = new byte[16 * 1024];
    long total = 0;
    for (int n; (n = in.read(buf)) >= 0;) {
      total += n;
      if (total > max) {
        throw new TooLarge(tooLarge);
      }
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }

  static void respond(HttpExchange ex, int status, String type, byte[] body, long retryAfterMs) {
    try (ex) {
      ex.getResponseHeaders().set("Content-Type", type);
      if (retryAfterMs > 0) {
        ex.getResponseHeaders().set("Retry-After", String.valueOf(Math.max(1, (retryAfterMs + 999) / 1000)));
      }
      ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
      if (body.length > 0) {
        try (OutputStream os = ex.getResponseBody()) {
          os.write(body);
        }
      }
    } catch (IOException e) {
      // the client went away; nothing to tell it
    }
  }
}
