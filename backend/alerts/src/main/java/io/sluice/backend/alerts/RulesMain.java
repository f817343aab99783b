package io.sluice.backend.alerts;

import io.sluice.backend.common.AlertRule;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code sluice-alert-rules}: creates the rules table, adds, lists, enables and disables alert rules. */
@Command(
    name = "sluice-alert-rules",
    mixinStandardHelpOptions = true,
    description = "Edits the alert rules the alerting stage reads (CockroachDB or PostgreSQL).",
    subcommands = {
        RulesMain.Init.class, RulesMain.Add.class, RulesMain.ListRules.class, RulesMain.Enable.class,
        RulesMain.Disable.class
    })
public final class RulesMain implements Callable<Integer> {
  @Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--url", required = true,
      description = "JDBC URL of the rules database, e.g. jdbc:postgresql://crdb:26257/sluice?sslmode=require")
  String url;

  @Option(names = "--user", description = "database user (default: the URL's)")
  String user;

  @Option(names = "--password-env", paramLabel = "VAR",
      description = "environment variable holding the password (default: none)")
  String passwordEnv;

  public static void main(String[] args) {
    System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
  }

  /** Runs the CLI writing to the given streams; returns the exit code (0 ok, 1 failure, 2 usage). */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cl = new CommandLine(new RulesMain());
    cl.setOut(out);
    cl.setErr(err);
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("sluice-alert-rules: " + e.getMessage());
      return 1;
    });
    return cl.execute(args);
  }

  @Override
  public Integer call() {
    throw new CommandLine.ParameterException(spec.commandLine(),
        "name a subcommand: init, add, list, enable or disable (see --help)");
  }

  JdbcAlertRuleSource source() {
    try {
      return new JdbcAlertRuleSource(url, user, passwordEnv);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--url: " + e.getMessage());
    }
  }

  @Command(name = "init", mixinStandardHelpOptions = true, description = "Creates the alert_rules table if missing.")
  static final class Init implements Callable<Integer> {
    @ParentCommand
    RulesMain parent;
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      parent.source().createSchema();
      spec.commandLine().getOut().println("alert_rules table ready");
      return 0;
    }
  }

  @Command(name = "add", mixinStandardHelpOptions = true, description = "Adds an enabled rule.")
  static final class Add implements Callable<Integer> {
    @ParentCommand
    RulesMain parent;
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--id", required = true, description = "stable rule id (part of every alert id it fires)")
    String id;

    @Option(names = "--kind", required = true, description = "error_rate or new_fingerprint")
    String kind;

    @Option(names = "--tenant", defaultValue = "*", description = "tenant, '*' for all (default: ${DEFAULT-VALUE})")
    String tenant;

    @Option(names = "--service", defaultValue = "*", description = "service, '*' for all (default: ${DEFAULT-VALUE})")
    String service;

    @Option(names = "--window-seconds", defaultValue = "0", description = "error_rate window in seconds, > 0")
    long windowSeconds;

    @Option(names = "--threshold", defaultValue = "0", description = "error_rate limit, a fraction 0..1")
    double threshold;

    @Option(names = "--min-records", defaultValue = "0", description = "error_rate: quieter windows never fire")
    long minRecords;

    @Option(names = "--replace", description = "overwrite a rule with the same id")
    boolean replace;

    @Override
    public Integer call() throws Exception {
      AlertRule rule = new AlertRule(id, kind, tenant, service, windowSeconds, threshold, minRecords);
      List<String> problems = AlertRules.problems(rule);
      if (!problems.isEmpty()) {
        // the column names are the option names with dashes: window_seconds is --window-seconds
        throw new CommandLine.ParameterException(spec.commandLine(), String.join("; ", problems));
      }
      parent.source().add(rule, replace);
      spec.commandLine().getOut().println("added " + format(rule, true));
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists every rule, flagging invalid ones.")
  static final class ListRules implements Callable<Integer> {
    @ParentCommand
    RulesMain parent;
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      int invalid = 0;
      for (JdbcAlertRuleSource.StoredRule stored : parent.source().list()) {
        out.println(format(stored.rule(), stored.enabled()));
        for (String problem : AlertRules.problems(stored.rule())) {
          out.println("  INVALID: " + problem);
          invalid++;
        }
      }
      return invalid == 0 ? 0 : 1;
    }
  }

  @Command(name = "enable", mixinStandardHelpOptions = true, description = "Enables a rule by id.")
  static final class Enable implements Callable<Integer> {
    @ParentCommand
    RulesMain parent;
    @Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Parameters(paramLabel = "ID")
    String id;

    @Override
    public Integer call() throws Exception {
      return toggle(parent, spec, id, true);
    }
  }

  @Command(name = "disable", mixinStandardHelpOptions = true, description = "Disables a rule by id.")
  static final class Disable implements Callable<Integer> {
    @ParentCommand
    RulesMain parent;
    @Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Parameters(paramLabel = "ID")
    String id;

    @Override
    public Integer call() throws Exception {
      return toggle(parent, spec, id, false);
    }
  }

  private static int toggle(RulesMain parent, CommandLine.Model.CommandSpec spec, String id, boolean enabled)
      throws Exception {
    if (!parent.source().setEnabled(id, enabled)) {
      spec.commandLine().getErr().println("sluice-alert-rules: no rule with id '" + id + "'; see `list`");
      return 1;
    }
    spec.commandLine().getOut().println((enabled ? "enabled " : "disabled ") + id);
    return 0;
  }

  static String format(AlertRule r, boolean enabled) {
    return String.format(Locale.ROOT, "%s%s kind=%s tenant=%s service=%s window_seconds=%d threshold=%s min_records=%d",
        r.id(), enabled ? "" : " (disabled)", r.kind(), r.tenant(), r.service(), r.windowSeconds(),
        r.threshold(), r.minRecords());
  }
}
