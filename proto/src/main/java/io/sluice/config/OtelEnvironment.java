package io.sluice.config;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The OpenTelemetry SDK environment variables that name a process: {@code OTEL_SERVICE_NAME} and
 * {@code OTEL_RESOURCE_ATTRIBUTES} ({@code key1=value1,key2=value2}, values percent-encoded as in W3C Baggage,
 * keys and values trimmed). As in the OpenTelemetry SDKs, {@code OTEL_SERVICE_NAME} wins over a
 * {@code service.name} inside {@code OTEL_RESOURCE_ATTRIBUTES}, and a malformed {@code OTEL_RESOURCE_ATTRIBUTES} is
 * discarded as a whole and reported. Configuration that names a service or attribute explicitly wins over both;
 * that precedence is the caller's. Immutable.
 *
 * @param serviceName the service name the environment gives, or null
 * @param attributes the other resource attributes, in the order written (never {@code service.name})
 */
public record OtelEnvironment(String serviceName, Map<String, String> attributes) {
  public static final String SERVICE_NAME = "OTEL_SERVICE_NAME";
  public static final String RESOURCE_ATTRIBUTES = "OTEL_RESOURCE_ATTRIBUTES";

  /** Reads both variables from {@code env}; each problem (the variable's name, then what is wrong) is reported. */
  public static OtelEnvironment read(Function<String, String> env, Consumer<String> problem) {
    Map<String, String> attrs = parseAttributes(env.apply(RESOURCE_ATTRIBUTES), problem);
    String service = env.apply(SERVICE_NAME);
    if (service == null || service.isBlank()) {
      service = attrs.get("service.name");
    } else {
      service = service.trim();
    }
    attrs.remove("service.name");
    return new OtelEnvironment(service == null || service.isEmpty() ? null : service,
        Collections.unmodifiableMap(attrs));
  }

  /** {@code k=v,k2=v2} with percent-decoded values; on any malformed entry, nothing (and one problem). */
  static Map<String, String> parseAttributes(String value, Consumer<String> problem) {
    Map<String, String> out = new LinkedHashMap<>();
    if (value == null || value.isBlank()) return out;
    for (String pair : value.split(",")) {
      if (pair.isBlank()) continue;
      int eq = pair.indexOf('=');
      String key = eq < 0 ? "" : pair.substring(0, eq).trim();
      if (key.isEmpty()) {
        problem.accept(RESOURCE_ATTRIBUTES + ": \"" + pair.trim() + "\" is not key=value (the variable is ignored); "
            + "write e.g. deployment.environment=prod,team=payments");
        return new LinkedHashMap<>();
      }
      String decoded = percentDecode(pair.substring(eq + 1).trim());
      if (decoded == null) {
        problem.accept(RESOURCE_ATTRIBUTES + ": the value of " + key + " has a % not followed by two hex digits "
            + "(the variable is ignored); write %25 for a literal %");
        return new LinkedHashMap<>();
      }
      out.put(key, decoded);
    }
    return out;
  }

  /** {@code %XX} → byte, as UTF-8; {@code +} stays {@code +}. Null when a {@code %} is not followed by two hex digits. */
  static String percentDecode(String s) {
    if (s.indexOf('%') < 0) return s;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
    for (int i = 0; i < s.length();) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 >= s.length()) return null;
        int hi = Character.digit(s.charAt(i + 1), 16);
        int lo = Character.digit(s.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) return null;
        bytes.write(hi * 16 + lo);
        i += 3;
      } else {
        int cp = s.codePointAt(i);
        byte[] b = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
        bytes.write(b, 0, b.length);
        i += Character.charCount(cp);
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
