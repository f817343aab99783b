import java.lang.reflect.Method;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.core.LoggerContext;

/**
 * A Log4j2 application as a user writes it, run by ShadedJarQuietIT in a JVM of its own with the shaded appender,
 * log4j-api/core and the declared native/OTel jars only (no SLF4J anywhere): it logs to a Sluice appender whose
 * collector refuses connections, waits until the shipper has failed to connect a few times, then stops. Whatever
 * Sluice or the libraries inside it print lands on this JVM's stderr, which the test reads.
 */
public final class QuietApp {
  public static void main(String[] args) throws Exception {
    Logger log = LogManager.getLogger("app");
    for (int i = 0; i < 10; i++) log.info("line {}", i);
    LoggerContext context = (LoggerContext) LogManager.getContext(false);
    Object appender = context.getConfiguration().getAppender("SLUICE");
    if (appender == null) throw new IllegalStateException("the Sluice appender did not start");
    Method stats = appender.getClass().getMethod("stats");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    int wanted = Integer.parseInt(args[0]);
    while (true) {
      Object s = stats.invoke(appender);
      long reconnects = (Long) s.getClass().getMethod("reconnects").invoke(s);
      if (reconnects >= wanted) break;
      if (System.nanoTime() - deadline > 0) throw new IllegalStateException("no reconnects: " + s);
      Thread.sleep(20); // polling the child's own state; the parent test does not depend on timing
    }
    // What gRPC's own JUL loggers do on Sluice's threads (e.g. "Received GOAWAY with ENHANCE_YOUR_CALM"), under the
    // relocated name they have inside the shaded jar: the real GOAWAY needs three 10 s keepalive pings.
    java.util.logging.Logger.getLogger("io.sluice.shaded.io.grpc.netty.shaded.io.grpc.netty.NettyClientHandler")
        .warning("synthetic gRPC warning: Received GOAWAY with ENHANCE_YOUR_CALM. Debug data: too_many_pings");
    System.out.println("QUIET-APP-DONE");
    LogManager.shutdown();
  }
}
