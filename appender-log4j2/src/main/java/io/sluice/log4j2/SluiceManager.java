package io.sluice.log4j2;

import io.sluice.sdk.pipeline.Pipeline;
import io.sluice.sdk.pipeline.PipelineConfig;
import io.sluice.sdk.pipeline.PipelineStats;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractManager;
import org.apache.logging.log4j.core.appender.ManagerFactory;

/**
 * Owns one sdk-core {@link Pipeline}, shared by every {@link SluiceAppender} that names the same spool directory
 * and reference-counted by Log4j2's {@link AbstractManager} registry. A reconfiguration builds the new appender
 * (which takes a reference) before it stops the old one (which drops one), so the pipeline, its threads and its
 * RocksDB spool stay open across it: RocksDB locks the directory, and closing and reopening it would stall logging
 * for up to {@code closeTimeoutMs} each time.
 *
 * <p>When a reconfiguration changes the pipeline settings for the same directory, {@link #updateData} closes the
 * pipeline (bounded by the old {@code closeTimeoutMs}; what is not shipped stays in the spool) and starts a new one
 * on the same directory, which ships what the old one left. Records offered during that swap are counted by the old
 * pipeline as {@code SHUTDOWN} drops.
 *
 * <p>Thread-safe: {@link #offer} may be called from any thread and never blocks (except under
 * {@code whenFull=block}) or throws; start, swap and release run under Log4j2's manager lock.
 */
final class SluiceManager extends AbstractManager {
  private static final Factory FACTORY = new Factory();

  /** What a manager is built from: the raw settings (compared on reconfiguration) and the validated config. */
  static final class Settings {
    private final Map<String, String> raw;
    private final PipelineConfig config;

    Settings(Map<String, String> raw, PipelineConfig config) {
      this.raw = new TreeMap<>(raw);
      this.config = config;
    }

    PipelineConfig config() {
      return config;
    }

    /** Only keys and the directory: the values may hold credentials, and Log4j2 prints this in its errors. */
    @Override
    public String toString() {
      return "Settings{spoolDir=" + config.spoolDir() + ", keys=" + raw.keySet() + '}';
    }
  }

  private volatile Pipeline pipeline;
  private volatile Settings settings;

  private SluiceManager(LoggerContext context, String name, Settings settings, Pipeline pipeline) {
    super(context, name);
    this.settings = settings;
    this.pipeline = pipeline;
  }

  /**
   * The manager of {@code settings}' spool directory: the running one (with its reference count raised, and its
   * pipeline restarted if the settings differ) or a new one with a started pipeline.
   *
   * @throws IllegalStateException when a new pipeline could not be started (reported on the StatusLogger)
   */
  static SluiceManager obtain(Settings settings) {
    return getManager(managerName(settings.config().spoolDir()), FACTORY, settings);
  }

  static String managerName(Path spoolDir) {
    return "Sluice:" + spoolDir.toAbsolutePath().normalize();
  }

  /** Hands a record to the pipeline; false when it was refused (counted by the pipeline) or none is running. */
  boolean offer(CapturedEvent record) {
    Pipeline p = pipeline;
    return p != null && p.offer(record);
  }

  /** True when the pipeline would refuse a record now (counted by it): see {@link Pipeline#refuseWhenFull()}. */
  boolean refuseWhenFull(int severityNumber) {
    Pipeline p = pipeline;
    return p != null && p.refuseWhenFull(severityNumber);
  }

  /** See {@link Pipeline#encodesOnCaller()}. */
  boolean encodesOnCaller() {
    Pipeline p = pipeline;
    return p != null && p.encodesOnCaller();
  }

  /** See {@link Pipeline#offerNow}. */
  boolean offerNow(io.sluice.sdk.pipeline.DeferredRecord record) {
    Pipeline p = pipeline;
    return p != null && p.offerNow(record);
  }

  /** Counts (and reports once) an event whose capture threw: see {@link Pipeline#captureFailed}. */
  void captureFailed(Throwable error) {
    Pipeline p = pipeline;
    if (p != null) p.captureFailed(error);
  }

  /** The running pipeline's counters; null when none is running. */
  PipelineStats stats() {
    Pipeline p = pipeline;
    return p == null ? null : p.stats();
  }

  PipelineConfig config() {
    return settings.config();
  }

  /** Called by {@link AbstractManager#getManager} under its lock when another appender takes this manager. */
  @Override
  public void updateData(Object data) {
    Settings next = (Settings) data;
    if (next.raw.equals(settings.raw)) return;
    LOGGER.info("Sluice: settings for {} changed; restarting its pipeline", getName());
    Pipeline old = pipeline;
    pipeline = null;
    if (old != null) old.close();
    settings = next;
    pipeline = start(getName(), next);
  }

  /** Closes the pipeline once the last appender let go; returns within about {@code closeTimeoutMs}. */
  @Override
  protected boolean releaseSub(long timeout, TimeUnit timeUnit) {
    Pipeline p = pipeline;
    pipeline = null;
    if (p == null) return true;
    try {
      p.close();
      return true;
    } catch (RuntimeException e) {
      LOGGER.warn("Sluice: closing the pipeline of {} failed", getName(), e);
      return false;
    }
  }

  private static Pipeline start(String name, Settings settings) {
    try {
      return Pipeline.start(settings.config());
    } catch (RuntimeException | LinkageError e) {
      // A LinkageError is a dependency conflict: the appender is not created and the application starts.
      LOGGER.error("Sluice: could not start the pipeline of {} (is another process or appender using the spool "
          + "directory?): {}", name, e.toString(), e);
      return null;
    }
  }

  private static final class Factory implements ManagerFactory<SluiceManager, Settings> {
    @Override
    public SluiceManager createManager(String name, Settings data) {
      Pipeline p = start(name, data);
      return p == null ? null : new SluiceManager(null, name, data, p);
    }
  }
}
