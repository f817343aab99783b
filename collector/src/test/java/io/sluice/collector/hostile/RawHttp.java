package io.sluice.collector.hostile;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** HTTP/1.1 over a plain socket, byte for byte as written (no client normalises the path or the method). */
final class RawHttp {
  private RawHttp() {}

  record Response(int status, String head, String body) {}

  /** Sends {@code method target} with {@code Connection: close} and reads the whole answer (10 s read timeout). */
  static Response send(int port, String method, String target) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write((method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
          + "Content-Length: 0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      in.transferTo(all);
      String text = all.toString(StandardCharsets.ISO_8859_1);
      int split = text.indexOf("\r\n\r\n");
      String head = split < 0 ? text : text.substring(0, split);
      String body = split < 0 ? "" : text.substring(split + 4);
      if (!head.startsWith("HTTP/1.1 ")) {
        throw new IOException("not an HTTP answer: " + text);
      }
      return new Response(Integer.parseInt(head.substring(9, 12)), head, body);
    }
  }
}
