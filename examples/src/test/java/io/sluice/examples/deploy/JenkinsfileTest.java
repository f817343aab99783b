package io.sluice.examples.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.codehaus.groovy.ast.ASTNode;
import org.codehaus.groovy.ast.CodeVisitorSupport;
import org.codehaus.groovy.ast.builder.AstBuilder;
import org.codehaus.groovy.ast.expr.ArgumentListExpression;
import org.codehaus.groovy.ast.expr.ConstantExpression;
import org.codehaus.groovy.ast.expr.Expression;
import org.codehaus.groovy.ast.expr.MapEntryExpression;
import org.codehaus.groovy.ast.expr.MethodCallExpression;
import org.codehaus.groovy.ast.expr.TupleExpression;
import org.codehaus.groovy.control.CompilePhase;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The root {@code Jenkinsfile}, without Jenkins (none on these machines): parsed by Groovy's compiler (a syntax
 * error fails here, as it would fail the Jenkins job before any stage), then its declarative structure walked: a
 * {@code pipeline} with an agent, a timeout within CI's 90 minutes, and a stage whose only build step is
 * {@code sh 'bash .ci/run'} — the script every CI runs, which exists and is the README's test command.
 */
class JenkinsfileTest {
  private static final Path ROOT = Paths.get("").toAbsolutePath().getParent();

  private static final List<MethodCallExpression> calls = new ArrayList<>();

  @BeforeAll
  static void parse() throws Exception {
    String source = Files.readString(ROOT.resolve("Jenkinsfile"), StandardCharsets.UTF_8);
    List<ASTNode> nodes = new AstBuilder().buildFromString(CompilePhase.CONVERSION, true, source);
    CodeVisitorSupport visitor = new CodeVisitorSupport() {
      @Override
      public void visitMethodCallExpression(MethodCallExpression call) {
        calls.add(call);
        super.visitMethodCallExpression(call);
      }
    };
    for (ASTNode node : nodes) {
      node.visit(visitor);
    }
  }

  @Test
  void itIsADeclarativePipelineWithAnAgentAndATimeoutWithinCisLimit() {
    assertThat(names()).startsWith("pipeline").contains("agent", "stages", "stage", "steps", "post", "junit");
    MethodCallExpression timeout = named("timeout").get(0);
    long minutes = -1;
    for (Expression arg : arguments(timeout)) {
      if (arg instanceof MapEntryExpression e && e.getKeyExpression().getText().equals("time")) {
        minutes = Long.parseLong(e.getValueExpression().getText());
      }
    }
    assertThat(minutes).as("timeout(time: N, unit: 'MINUTES')").isBetween(1L, 90L);
    assertThat(timeout.getText()).contains("MINUTES");
  }

  @Test
  void itsBuildStepRunsDotCiRunAndNothingElse() throws Exception {
    List<String> shell = new ArrayList<>();
    for (MethodCallExpression sh : named("sh")) {
      for (Expression arg : arguments(sh)) {
        if (arg instanceof ConstantExpression c) {
          shell.add(String.valueOf(c.getValue()));
        }
      }
    }
    assertThat(shell).containsExactly("bash .ci/run");
    Path run = ROOT.resolve(".ci/run");
    assertThat(run).exists();
    assertThat(Files.readString(run, StandardCharsets.UTF_8)).contains("./mvnw verify");
  }

  private static List<String> names() {
    return calls.stream().map(MethodCallExpression::getMethodAsString).toList();
  }

  private static List<MethodCallExpression> named(String name) {
    List<MethodCallExpression> out = calls.stream().filter(c -> name.equals(c.getMethodAsString())).toList();
    assertThat(out).as("a call to " + name).isNotEmpty();
    return out;
  }

  /** A call's arguments, named ones (Groovy's map entries) flattened in. */
  private static List<Expression> arguments(MethodCallExpression call) {
    List<Expression> out = new ArrayList<>();
    if (call.getArguments() instanceof TupleExpression t) {
      for (Expression e : t.getExpressions()) {
        if (e instanceof org.codehaus.groovy.ast.expr.NamedArgumentListExpression named) {
          out.addAll(named.getMapEntryExpressions());
        } else {
          out.add(e);
        }
      }
    } else if (call.getArguments() instanceof ArgumentListExpression a) {
      out.addAll(a.getExpressions());
    }
    return out;
  }
}
