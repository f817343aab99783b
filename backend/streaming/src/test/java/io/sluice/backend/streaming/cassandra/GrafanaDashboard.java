package io.sluice.backend.streaming.cassandra;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The aggregates dashboard ({@code deploy/grafana/sluice-aggregates-dashboard.json}) as the tests see it: its CQL
 * queries, a checker against the schema the job applies ({@code /cql/schema.cql}), and a renderer that fills in
 * variables the way Grafana and the Cassandra datasource plugin do, so the queries can run on a real node.
 */
public final class GrafanaDashboard {
  public static final Path FILE = Path.of("deploy/grafana/sluice-aggregates-dashboard.json");
  public static final String PLUGIN = "hadesarchitect-cassandra-datasource";
  private static final Pattern VARIABLE =
      Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?}|\\$([A-Za-z_][A-Za-z0-9_]*)");
  private static final Pattern FROM = Pattern.compile("(?i)\\bFROM\\s+\\$\\{keyspace}\\.([a-z_]+)");
  private static final Set<String> BUILT_IN = Set.of("__from", "__to", "__timeFrom", "__timeTo");

  /** A CQL query of the dashboard: where it is (panel title or variable name) and its text. */
  public record Query(String where, String panelType, String cql) {}

  /** A table of the schema: its columns (name → CQL type), partition key and clustering columns. */
  public record Table(Map<String, String> columns, List<String> partitionKey, List<String> clustering) {}

  private final JsonNode root;

  public GrafanaDashboard(JsonNode root) {
    this.root = root;
  }

  public static GrafanaDashboard load() throws IOException {
    return new GrafanaDashboard(new ObjectMapper().readTree(Files.readString(FILE)));
  }

  public JsonNode json() {
    return root;
  }

  /** Every query: the panels' targets, then the query variables, in order. */
  public List<Query> queries() {
    List<Query> out = new ArrayList<>();
    for (JsonNode p : root.path("panels")) {
      for (JsonNode t : p.path("targets")) {
        out.add(new Query(p.path("title").asText(), p.path("type").asText(), t.path("target").asText()));
      }
    }
    for (JsonNode v : root.at("/templating/list")) {
      if (v.path("type").asText().equals("query")) {
        out.add(new Query("$" + v.path("name").asText(), "variable", v.path("query").asText()));
      }
    }
    return out;
  }

  /** The query of the panel titled {@code title} (its only target). */
  public String panelQuery(String title) {
    return queries().stream().filter(q -> q.where().equals(title)).findFirst().orElseThrow().cql();
  }

  /** The tables of the schema the job applies (CassandraSchema's statements). */
  public static Map<String, Table> schema() {
    Map<String, Table> tables = new LinkedHashMap<>();
    Pattern create = Pattern.compile("(?s)CREATE TABLE IF NOT EXISTS \\S+\\.([a-z_]+) \\((.*)\\)");
    for (String s : CassandraSchema.statements("ks", "{}")) {
      Matcher m = create.matcher(s);
      if (!m.find()) {
        continue;
      }
      Map<String, String> columns = new LinkedHashMap<>();
      List<String> partition = new ArrayList<>();
      List<String> clustering = new ArrayList<>();
      for (String line : m.group(2).split("\n")) {
        String l = line.strip().replaceAll(",$", "");
        Matcher pk = Pattern.compile("PRIMARY KEY \\(\\(([^)]*)\\)(?:, *([^)]*))?\\)").matcher(l);
        if (pk.find()) {
          partition.addAll(List.of(pk.group(1).split(", *")));
          if (pk.group(2) != null) {
            clustering.addAll(List.of(pk.group(2).split(", *")));
          }
        } else if (!l.isEmpty()) {
          String[] parts = l.split("\\s+");
          columns.put(parts[0], parts[1]);
        }
      }
      tables.put(m.group(1), new Table(columns, partition, clustering));
    }
    return tables;
  }

  /**
   * What an operator would break: each problem found, as a sentence naming the panel or variable. Checks the
   * datasource (a template variable of the Cassandra plugin's type everywhere, never a fixed uid), that every
   * variable used is defined above its use, and that every query reads a table the job writes, names only its
   * columns, restricts its whole partition key (Cassandra rejects the query otherwise), filters clustering columns
   * only in key order, never needs ALLOW FILTERING, and (time series) is bounded by the panel's time range.
   */
  public List<String> problems() {
    List<String> problems = new ArrayList<>();
    Map<String, Table> schema = schema();
    List<String> defined = new ArrayList<>();
    String dsVariable = null;
    for (JsonNode v : root.at("/templating/list")) {
      String name = v.path("name").asText();
      if (v.path("type").asText().equals("datasource")) {
        if (!v.path("query").asText().equals(PLUGIN)) {
          problems.add("variable $" + name + " is not a " + PLUGIN + " datasource");
        }
        dsVariable = name;
      } else if (v.path("type").asText().equals("query")) {
        checkDatasource("variable $" + name, v.path("datasource"), dsVariable, problems);
        checkVariables("variable $" + name, v.path("query").asText(), defined, problems);
      }
      defined.add(name);
    }
    if (dsVariable == null) {
      problems.add("no datasource variable: a fixed datasource uid breaks on every other Grafana");
    }
    for (JsonNode p : root.path("panels")) {
      String title = p.path("title").asText();
      checkDatasource("panel '" + title + "'", p.path("datasource"), dsVariable, problems);
      if (p.path("targets").isEmpty()) {
        problems.add("panel '" + title + "' has no query");
      }
      for (JsonNode t : p.path("targets")) {
        checkDatasource("panel '" + title + "' target", t.path("datasource"), dsVariable, problems);
        if (!t.path("rawQuery").asBoolean()) {
          problems.add("panel '" + title + "' target is not a raw CQL query");
        }
        checkVariables("panel '" + title + "'", t.path("target").asText(), defined, problems);
      }
    }
    for (Query q : queries()) {
      checkCql(q, schema, problems);
    }
    return problems;
  }

  private static void checkDatasource(String where, JsonNode ds, String variable, List<String> problems) {
    if (!ds.path("type").asText().equals(PLUGIN)) {
      problems.add(where + ": datasource type is '" + ds.path("type").asText() + "', not " + PLUGIN);
    }
    if (variable == null || !ds.path("uid").asText().equals("${" + variable + "}")) {
      problems.add(where + ": datasource uid '" + ds.path("uid").asText() + "' is not the template variable");
    }
  }

  private static void checkVariables(String where, String text, List<String> defined, List<String> problems) {
    Matcher m = VARIABLE.matcher(text);
    while (m.find()) {
      String name = m.group(1) != null ? m.group(1) : m.group(3);
      if (!BUILT_IN.contains(name) && !defined.contains(name)) {
        problems.add(where + " uses $" + name + ", which is not defined above it");
      }
    }
  }

  private static void checkCql(Query q, Map<String, Table> schema, List<String> problems) {
    String where = q.where();
    String cql = q.cql();
    Matcher from = FROM.matcher(cql);
    if (!from.find()) {
      problems.add(where + ": no FROM ${keyspace}.<table> (the keyspace is the job's --cassandra-keyspace)");
      return;
    }
    Table table = schema.get(from.group(1));
    if (table == null) {
      problems.add(where + ": table " + from.group(1) + " is not one the job writes " + schema.keySet());
      return;
    }
    String upper = cql.toUpperCase(Locale.ROOT);
    if (upper.contains("ALLOW FILTERING")) {
      problems.add(where + ": ALLOW FILTERING scans the whole table");
    }
    String select = cql.substring(upper.indexOf("SELECT") + 6, from.start()).strip();
    boolean distinct = select.toUpperCase(Locale.ROOT).startsWith("DISTINCT ");
    List<String> selected = List.of((distinct ? select.substring(9) : select).split("\\s*,\\s*"));
    for (String c : selected) {
      if (!table.columns().containsKey(c)) {
        problems.add(where + ": column " + c + " is not in " + from.group(1) + " " + table.columns().keySet());
      }
    }
    int w = upper.indexOf(" WHERE ");
    Set<String> restricted = new LinkedHashSet<>();
    if (w >= 0) {
      String conditions = VARIABLE.matcher(cql.substring(w + 7)).replaceAll("?");
      Matcher cond = Pattern.compile("\\b([a-z_]+)(?:\\s*(?:>=|<=|=|>|<)|\\s+IN\\b)", Pattern.CASE_INSENSITIVE)
          .matcher(conditions);
      while (cond.find()) {
        String c = cond.group(1);
        if (c.equalsIgnoreCase("AND")) {
          continue;
        }
        if (!table.columns().containsKey(c)) {
          problems.add(where + ": WHERE names " + c + ", not a column of " + from.group(1));
        } else if (!table.partitionKey().contains(c) && !table.clustering().contains(c)) {
          problems.add(where + ": WHERE on " + c + ", a regular column (Cassandra needs ALLOW FILTERING)");
        } else if (table.clustering().contains(c) && table.clustering().indexOf(c) > 0) {
          problems.add(where + ": WHERE on clustering column " + c + " without the ones before it");
        }
        restricted.add(c);
      }
    }
    if (distinct) {
      if (!selected.containsAll(table.partitionKey())) {
        problems.add(where + ": SELECT DISTINCT must name the whole partition key " + table.partitionKey());
      }
    } else if (!restricted.containsAll(table.partitionKey())) {
      problems.add(where + ": WHERE must restrict the whole partition key " + table.partitionKey()
          + " (it restricts " + restricted + ")");
    }
    if (q.panelType().equals("timeseries")) {
      if (!cql.contains("$__timeFrom") || !cql.contains("$__timeTo")) {
        problems.add(where + ": a time series must be bounded by $__timeFrom and $__timeTo");
      }
      String id = selected.get(0);
      if (!"text".equals(table.columns().get(id))) {
        problems.add(where + ": the first column (the series id) must be text, " + id + " is not");
      }
      if (selected.stream().noneMatch(c -> "timestamp".equals(table.columns().get(c)))
          || selected.stream().noneMatch(c -> "bigint".equals(table.columns().get(c)))) {
        problems.add(where + ": a time series needs a timestamp and a numeric column");
      }
    }
  }

  /**
   * {@code cql} with its variables filled in the way Grafana does: {@code ${v:singlequote}} quotes each value,
   * {@code ${__from:date:YYYY-MM-DD}} is the range start's UTC day, {@code $__timeFrom}/{@code $__timeTo} are epoch
   * milliseconds (the Cassandra plugin's macros).
   */
  public static String render(String cql, Map<String, List<String>> variables, Instant from, Instant to) {
    String out = cql.replace("$__timeFrom", Long.toString(from.toEpochMilli()))
        .replace("$__timeTo", Long.toString(to.toEpochMilli()))
        .replace("${__from:date:YYYY-MM-DD}", from.atZone(ZoneOffset.UTC).toLocalDate().toString())
        .replace("${__to:date:YYYY-MM-DD}", to.atZone(ZoneOffset.UTC).toLocalDate().toString());
    Matcher m = VARIABLE.matcher(out);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      String name = m.group(1) != null ? m.group(1) : m.group(3);
      List<String> values = variables.get(name);
      if (values == null) {
        throw new IllegalArgumentException("no value for $" + name + " in " + cql);
      }
      String value = "singlequote".equals(m.group(2))
          ? String.join(", ", values.stream().map(v -> "'" + v.replace("'", "''") + "'").toList())
          : String.join(",", values);
      m.appendReplacement(sb, Matcher.quoteReplacement(value));
    }
    m.appendTail(sb);
    return sb.toString();
  }
}
