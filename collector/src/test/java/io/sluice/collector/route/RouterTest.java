package io.sluice.collector.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.config.RouteRule;
import org.junit.jupiter.api.Test;

class RouterTest {
  @Test
  void topicProblemFollowsKafkasNameRule() {
    assertThat(Router.topicProblem("logs-acme.checkout_1")).isNull();
    assertThat(Router.topicProblem("a".repeat(249))).isNull();
    assertThat(Router.topicProblem("a".repeat(250))).contains("250 characters");
    assertThat(Router.topicProblem(".")).isNotNull();
    assertThat(Router.topicProblem("..")).isNotNull();
    assertThat(Router.topicProblem("")).isNotNull();
    assertThat(Router.topicProblem("logs/acme")).contains("'/'");
    assertThat(Router.topicProblem("logs-é")).contains("'é'");
  }

  @Test
  void aLongServiceNameRoutesToANameKafkaRefuses() {
    Router router = new Router(CollectorConfig.builder().anonymous(true).kafkaBootstrap("127.0.0.1:1")
        .route(new RouteRule(null, null, 0, "logs-{service}")).build());
    String routed = router.route("t", "s".repeat(300), 9);
    assertThat(routed).hasSize(305);
    assertThat(Router.topicProblem(routed)).startsWith("the routed topic name has 305 characters");
    // the illegal characters of a service.name are replaced, so only the length can make the name illegal
    assertThat(Router.topicProblem(router.route("t", "a/b c", 9))).isNull();
  }
}
