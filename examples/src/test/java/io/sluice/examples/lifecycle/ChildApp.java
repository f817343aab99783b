package io.sluice.examples.lifecycle;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.message.MapMessage;

/**
 * An application in a JVM of its own: configures Logback or Log4j2 from the lifecycle XML, logs
 * {@code count} records numbered by a {@code seq} attribute, and exits with {@code System.exit} without stopping
 * the logging framework. Only a JVM shutdown hook can flush the records into the spool.
 *
 * <p>Arguments: {@code logback|log4j2 <endpoint> <spoolDir> <count>}. Prints {@code logged <count>} when done.
 */
public final class ChildApp {
  private ChildApp() {}

  public static void main(String[] args) throws Exception {
    String framework = args[0];
    System.setProperty("lifecycle.endpoint", args[1]);
    System.setProperty("lifecycle.spool", args[2]);
    int count = Integer.parseInt(args[3]);
    if (framework.equals("logback")) {
      LoggerContext context = new LoggerContext();
      context.setMDCAdapter(new LogbackMDCAdapter());
      JoranConfigurator configurator = new JoranConfigurator();
      configurator.setContext(context);
      configurator.doConfigure(ChildApp.class.getResource("/lifecycle-logback.xml"));
      org.slf4j.Logger logger = context.getLogger("app");
      for (int i = 0; i < count; i++) logger.atInfo().addKeyValue("seq", i).log("record {}", i);
    } else {
      System.setProperty("log4j2.configurationFile", "classpath:lifecycle-log4j2.xml");
      org.apache.logging.log4j.Logger logger = LogManager.getLogger("app");
      for (int i = 0; i < count; i++) logger.info(new MapMessage<>().with("seq", i).with("message", "record " + i));
    }
    System.out.println("logged " + count);
    System.out.flush();
    System.exit(0);
  }
}
