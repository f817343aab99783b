package io.sluice.examples.clash;

import ch.qos.logback.classic.LoggerContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.grpc.Metadata;
import io.grpc.Status;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.logback.SluiceAppender;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Uses its own protobuf, gRPC, Netty and Jackson, logs {@code count} records through the shaded Sluice appender,
 * waits until the collector acknowledged them, and prints what it found:
 * {@code versions protobuf=... grpc=... netty=... jackson=...}, then {@code acknowledged <n>}.
 *
 * <p>Arguments: {@code <endpoint> <spoolDir> <count>}. Exit status 0 when every library works at the pinned version
 * and every record was acknowledged; 1 otherwise.
 */
public final class ClashApp {
  private ClashApp() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("sluice.endpoint", args[0]);
    System.setProperty("sluice.spool", args[1]);
    int count = Integer.parseInt(args[2]);
    Logger log = LoggerFactory.getLogger("clash");

    // The application's own libraries, doing real work at their own versions.
    Struct struct = Struct.newBuilder().putFields("answer", Value.newBuilder().setNumberValue(42).build()).build();
    Struct parsed = Struct.parseFrom(struct.toByteArray());
    Metadata metadata = new Metadata();
    metadata.put(Metadata.Key.of("x-clash", Metadata.ASCII_STRING_MARSHALLER), "yes");
    Status status = Status.UNAVAILABLE.withDescription("own grpc");
    ByteBuf buf = Unpooled.copiedBuffer("own netty", StandardCharsets.UTF_8);
    String json = new ObjectMapper().writeValueAsString(Map.of("answer", parsed.getFieldsOrThrow("answer").getNumberValue()));
    buf.release();

    String versions = "protobuf=" + jarVersion(com.google.protobuf.Message.class, "protobuf-java")
        + " grpc=" + jarVersion(io.grpc.Grpc.class, "grpc-api")
        + " netty=" + io.netty.util.Version.identify().get("netty-common").artifactVersion()
        + " jackson=" + com.fasterxml.jackson.databind.cfg.PackageVersion.VERSION;
    System.out.println("versions " + versions);
    // protobuf 4.x has RuntimeVersion; the application's 3.25 must not see Sluice's (relocated) one.
    System.out.println("protobuf RuntimeVersion visible: " + visible("com.google.protobuf.RuntimeVersion"));
    System.out.println("sluice gRPC relocated: " + visible("io.sluice.shaded.io.grpc.ManagedChannel"));

    for (int i = 0; i < count; i++) {
      log.atInfo().addKeyValue("seq", i).addKeyValue("grpc", status.getCode().name()).log("clash {} {}", i, json);
    }

    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    SluiceAppender appender = (SluiceAppender) context.getLogger("ROOT").getAppender("SLUICE");
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (appender.stats().acknowledged() < count && System.nanoTime() < deadline) Thread.sleep(20);
    long acknowledged = appender.stats().acknowledged();
    System.out.println("acknowledged " + acknowledged);
    context.stop();
    System.exit(acknowledged == count && metadata.containsKey(Metadata.Key.of("x-clash",
        Metadata.ASCII_STRING_MARSHALLER)) ? 0 : 1);
  }

  /** The version in the name of the jar {@code type} was loaded from, e.g. protobuf-java-3.25.5.jar → 3.25.5. */
  private static String jarVersion(Class<?> type, String artifact) {
    String path = type.getProtectionDomain().getCodeSource().getLocation().getPath();
    String file = path.substring(path.lastIndexOf('/') + 1);
    return file.startsWith(artifact + "-") && file.endsWith(".jar")
        ? file.substring(artifact.length() + 1, file.length() - 4) : "?(" + file + ")";
  }

  private static boolean visible(String className) {
    try {
      Class.forName(className);
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }
}
