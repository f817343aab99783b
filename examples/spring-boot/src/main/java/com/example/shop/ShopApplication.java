package com.example.shop;

import ch.qos.logback.classic.LoggerContext;
import io.sluice.logback.SluiceAppender;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.CommandLineRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/**
 * (In a package of its own: the appender never ships loggers under {@code io.sluice.}, its own.)
 *
 * <p>A Spring Boot application whose logs go to Sluice through {@code logback-spring.xml}. A runner logs
 * {@code shop.orders} orders (each with a {@code seq} key-value), waits until the collector acknowledged every
 * record the appender took (Spring's own start-up lines included), prints {@code acknowledged <n>} and exits.
 */
@SpringBootApplication
public class ShopApplication {
  private static final Logger log = LoggerFactory.getLogger(ShopApplication.class);

  public static void main(String[] args) {
    System.exit(SpringApplication.exit(SpringApplication.run(ShopApplication.class, args)));
  }

  @Bean
  CommandLineRunner placeOrders(@Value("${shop.orders}") int orders) {
    return args -> {
      for (int i = 0; i < orders; i++) log.atInfo().addKeyValue("seq", i).log("order {} placed", i);
      SluiceAppender sluice = (SluiceAppender) ((LoggerContext) LoggerFactory.getILoggerFactory())
          .getLogger(Logger.ROOT_LOGGER_NAME).getAppender("SLUICE");
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (sluice.stats().acknowledged() < sluice.stats().appended() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      System.out.println("acknowledged " + sluice.stats().acknowledged() + " of " + sluice.stats().appended());
    };
  }
}
