package io.sluice.backend.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Executes a Jupyter notebook headless as a child process ({@code jupyter nbconvert --to notebook --execute}) and
 * reads the executed notebook back: the exit status, nbconvert's log, and each cell's outputs. The kernel gets its
 * own IPython and runtime directories under the output directory, so concurrent runs share no history database.
 * Not thread-safe; blocks until nbconvert ends.
 */
final class NotebookRun {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** A guard against a hung kernel, far above a run's few seconds; nbconvert's own per-cell timeout is 120 s. */
  private static final long GUARD_MINUTES = 5;

  final int exit;
  final String log;
  /** The executed notebook, or null when nbconvert wrote none (a cell raised). */
  final JsonNode notebook;

  private NotebookRun(int exit, String log, JsonNode notebook) {
    this.exit = exit;
    this.log = log;
    this.notebook = notebook;
  }

  /**
   * Why notebooks cannot run here, or null when they can: {@code jupyter nbconvert} must answer, and the interpreter
   * of the {@code python3} kernel (its kernel.json's argv[0], as the kernel will really start) must import pandas and
   * ipykernel.
   */
  static String unavailable() {
    String hint = " (Debian: apt-get install jupyter-notebook jupyter-nbconvert python3-nbconvert python3-pandas "
        + "python3-ipykernel; .ci/run installs them)";
    try {
      if (quietly("jupyter", "nbconvert", "--version") != 0) {
        return "`jupyter nbconvert --version` failed" + hint;
      }
      String python = kernelPython();
      if (quietly(python, "-c", "import pandas, ipykernel") != 0) {
        return "the python3 kernel's interpreter (" + python + ") cannot import pandas and ipykernel" + hint;
      }
      return null;
    } catch (IOException e) {
      return "no `jupyter` on PATH (" + e.getMessage() + ")" + hint;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  /** argv[0] of the first python3 kernel.json on Jupyter's data path; "python3" when none is installed. */
  private static String kernelPython() throws IOException, InterruptedException {
    Process p = new ProcessBuilder("jupyter", "--paths", "--json").redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (p.waitFor() == 0) {
      for (JsonNode dir : JSON.readTree(out).path("data")) {
        Path spec = Path.of(dir.asText(), "kernels", "python3", "kernel.json");
        if (Files.isRegularFile(spec)) {
          return JSON.readTree(spec.toFile()).path("argv").path(0).asText("python3");
        }
      }
    }
    return "python3";
  }

  private static int quietly(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
    if (!p.waitFor(GUARD_MINUTES, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      return -1;
    }
    return p.exitValue();
  }

  /** Executes {@code notebook} with {@code env} added to this JVM's environment; writes into {@code outDir}. */
  static NotebookRun execute(Path notebook, Path outDir, Map<String, String> env) throws Exception {
    Files.createDirectories(outDir);
    Path executed = outDir.resolve("executed.ipynb");
    Path log = outDir.resolve("nbconvert.log");
    ProcessBuilder pb = new ProcessBuilder("jupyter", "nbconvert", "--to", "notebook", "--execute",
        "--ExecutePreprocessor.timeout=120", "--output-dir", outDir.toString(), "--output", "executed.ipynb",
        notebook.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    pb.environment().put("IPYTHONDIR", outDir.resolve("ipython").toString());
    pb.environment().put("JUPYTER_RUNTIME_DIR", outDir.resolve("runtime").toString());
    pb.environment().put("PYDEVD_DISABLE_FILE_VALIDATION", "1"); // quiets ipykernel's debugger warning in the log
    Process p = pb.start();
    if (!p.waitFor(GUARD_MINUTES, TimeUnit.MINUTES)) {
      p.destroyForcibly().waitFor();
      throw new IllegalStateException("nbconvert still running after " + GUARD_MINUTES + " min; its log: "
          + Files.readString(log, StandardCharsets.UTF_8));
    }
    return new NotebookRun(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8),
        Files.exists(executed) ? JSON.readTree(executed.toFile()) : null);
  }

  /** The code cells' outputs, in cell order. */
  List<JsonNode> codeCellOutputs() {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode cell : notebook.path("cells")) {
      if (cell.path("cell_type").asText().equals("code")) {
        out.add(cell.path("outputs"));
      }
    }
    return out;
  }

  /** The stdout of the code cell tagged {@code tag}. */
  String stdoutOfCellTagged(String tag) {
    for (JsonNode cell : notebook.path("cells")) {
      for (JsonNode t : cell.path("metadata").path("tags")) {
        if (t.asText().equals(tag)) {
          StringBuilder s = new StringBuilder();
          for (JsonNode o : cell.path("outputs")) {
            if (o.path("output_type").asText().equals("stream") && o.path("name").asText().equals("stdout")) {
              s.append(text(o.path("text")));
            }
          }
          return s.toString();
        }
      }
    }
    throw new IllegalArgumentException("no cell tagged " + tag);
  }

  /** nbformat stores multi-line text as a string or as a list of lines. */
  static String text(JsonNode t) {
    if (!t.isArray()) {
      return t.asText();
    }
    StringBuilder s = new StringBuilder();
    t.forEach(line -> s.append(line.asText()));
    return s.toString();
  }
}
