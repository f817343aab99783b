package io.sluice.logback;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import io.sluice.sdk.pipeline.ConfigException;
import io.sluice.sdk.pipeline.DeferredRecord;
import io.sluice.sdk.pipeline.EnvironmentResource;
import io.sluice.sdk.pipeline.Pipeline;
import io.sluice.sdk.pipeline.PipelineConfig;
import io.sluice.sdk.pipeline.PipelineStats;
import io.sluice.sdk.record.Exceptions;
import io.sluice.sdk.record.KeyGlobs;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Ships Logback events to a Sluice collector through an sdk-core {@link Pipeline} (hand-off queue, batcher, RocksDB
 * spool, gRPC shipper).
 *
 * <p>{@link #append} runs on the application's thread: it freezes the event and takes what only that thread knows
 * ({@link LogbackEventMapper#capture}), then offers it to the pipeline's bounded queue; the pipeline's batcher thread
 * maps it into a {@code LogRecord}. It never waits on the network, never blocks unless {@code whenFull=block}, and
 * never throws; a refused record, one whose capture throws ({@code CAPTURE_FAILED}, reported as a status error
 * and on stderr once) and one whose mapping fails later, is counted by the pipeline under a drop reason. Memory is bounded by the
 * pipeline's {@code queueMaxRecords}/{@code queueMaxBytes} and {@code spoolMaxBytes}.
 *
 * <p>Recursion guard: events logged on Sluice's own threads ({@link Pipeline#isInternalThread()}) and events from
 * the loggers of the libraries Sluice runs on ({@link Pipeline#INTERNAL_LOGGER_PREFIXES}) are ignored, so shipping a record can
 * never log a record that needs shipping. Re-entry on the same thread is already stopped by
 * {@link UnsynchronizedAppenderBase}.
 *
 * <p>Settings: one String setter per {@link PipelineConfig#KEYS} key, applied in {@link #start()} through
 * {@link PipelineConfig.Builder#set}; a bad value is reported as a status error naming the key and the appender
 * stays stopped. Appender-only settings: {@code serviceVersion}, {@code includeCallerData}, {@code mdcInclude},
 * {@code mdcExclude}, {@code maxExceptionDepth}, {@code maxFrames}, {@code rootCauseFirst}. Resource attributes
 * {@code k8s.pod.name}, {@code k8s.namespace.name}, {@code k8s.node.name} come from the environment
 * ({@link EnvironmentResource}) unless {@code resourceAttributes} sets them.
 */
public final class SluiceAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {

  /** Logger-name prefixes whose events are never shipped: Sluice itself and the libraries on its shipping path. */

  /** Where captured events go: the pipeline in production, a list in unit tests. Must not block or throw. */
  interface RecordSink {
    boolean offer(DeferredRecord record);

    /** True when a record would be refused now anyway (counted as refused): the event is then not captured. */
    default boolean refuseWhenFull(int severityNumber) {
      return false;
    }

    /** Capturing an event threw: count it as dropped ({@code CAPTURE_FAILED}) and report the first one. */
    default void captureFailed(Throwable error) {}
  }

  // Raw pipeline settings in the order they were set; parsed only in start() so every error is reported there.
  private final Map<String, String> settings = new LinkedHashMap<>();
  private boolean includeCallerData = false;
  private String mdcInclude;
  private String mdcExclude;
  private int maxExceptionDepth = Exceptions.DEFAULT_MAX_DEPTH;
  private int maxFrames = 256;
  private boolean rootCauseFirst = false;
  private String serviceVersion;

  // Written by start()/stop() (Logback's configuration thread), read by append() on any thread.
  private volatile PipelineConfig config;
  private volatile LogbackEventMapper mapper;
  private volatile RecordSink sink;
  private volatile Pipeline pipeline;
  private volatile Thread shutdownHook;

  /** Collector addresses, {@code host:port[,host:port...]}; default {@code 127.0.0.1:4417}. */
  public void setEndpoint(String value) {
    settings.put("endpoint", value);
  }
  /** {@code service.name} resource attribute; default {@code unknown_service:java}. */
  public void setServiceName(String value) {
    settings.put("serviceName", value);
  }
  /** More resource attributes, {@code k=v,k2=v2}. */
  public void setResourceAttributes(String value) {
    settings.put("resourceAttributes", value);
  }
  /** Tenant sent in the stream's hello; default empty. */
  public void setTenant(String value) {
    settings.put("tenant", value);
  }
  /** Credentials sent in the stream's hello; default empty. */
  public void setCredentials(String value) {
    settings.put("credentials", value);
  }
  /**
   * A file holding the credentials (an API key or {@code Bearer <JWT>}), re-read when it changes (Vault agent,
   * Kubernetes Secret volume); default none. Excludes {@code credentials} and OAuth2.
   */
  public void setCredentialsFile(String value) { settings.put("credentialsFile", value); }
  /** OIDC issuer for OAuth2 client credentials; its discovery document names the token endpoint. */
  public void setOauth2Issuer(String value) {
    settings.put("oauth2Issuer", value);
  }
  /** OAuth2 token endpoint, when not discovered from {@code oauth2Issuer}. */
  public void setOauth2TokenUrl(String value) {
    settings.put("oauth2TokenUrl", value);
  }
  /** OAuth2 client id. */
  public void setOauth2ClientId(String value) { settings.put("oauth2ClientId", value); }
  /** OAuth2 client secret (or {@code oauth2ClientSecretFile}). */
  public void setOauth2ClientSecret(String value) {
    settings.put("oauth2ClientSecret", value);
  }
  /** A file holding the OAuth2 client secret, re-read before every token request. */
  public void setOauth2ClientSecretFile(String value) {
    settings.put("oauth2ClientSecretFile", value);
  }
  /** Space-separated OAuth2 scopes; default none. */
  public void setOauth2Scope(String value) {
    settings.put("oauth2Scope", value);
  }
  /** An OAuth2 {@code audience} parameter; default none. */
  public void setOauth2Audience(String value) {
    settings.put("oauth2Audience", value);
  }
  /** {@code true}: connect to the collector with TLS; default false (plaintext). */
  public void setTls(String value) {
    settings.put("tls", value);
  }
  /** PEM CA certificate(s) the collector's certificate must chain to; default: the JVM's trust store. */
  public void setTrustCertPath(String value) {
    settings.put("trustCertPath", value);
  }
  /** PEM client certificate chain for mTLS (with {@code clientKeyPath}); default none. */
  public void setClientCertPath(String value) {
    settings.put("clientCertPath", value);
  }
  /** PEM PKCS#8 private key of {@code clientCertPath}. */
  public void setClientKeyPath(String value) {
    settings.put("clientKeyPath", value);
  }
  /** Stable client id; default: created at first start and kept in the spool. */
  public void setClientId(String value) {
    settings.put("clientId", value);
  }
  /** RocksDB spool directory, one appender per directory; default {@code ${java.io.tmpdir}/sluice-spool/<service>}. */
  public void setSpoolDir(String value) {
    settings.put("spoolDir", value);
  }
  /** Spool byte cap, e.g. {@code 256MiB} (the default); at the cap {@code whenFull} decides. */
  public void setSpoolMaxBytes(String value) {
    settings.put("spoolMaxBytes", value);
  }
  /** {@code drop-oldest} (default), {@code drop-newest} or {@code block}. */
  public void setWhenFull(String value) {
    settings.put("whenFull", value);
  }
  /** How long {@code block} waits before dropping, e.g. {@code 1s} (default). */
  public void setBlockTimeoutMs(String value) {
    settings.put("blockTimeoutMs", value);
  }
  /**
   * How long a log call waits for room in a full hand-off queue before the event is dropped (QUEUE_FULL), e.g.
   * {@code 1s} (the default); {@code 0} drops at once. WARN and above have a reserved eighth of the queue.
   */
  public void setQueueWaitMs(String value) { settings.put("queueWaitMs", value); }
  /** {@code never} (default) or {@code every-batch}. */
  public void setFsync(String value) {
    settings.put("fsync", value);
  }
  /** Hand-off queue bound in records, default 65536; when full, {@code whenFull} decides. */
  public void setQueueMaxRecords(String value) {
    settings.put("queueMaxRecords", value);
  }
  /** Hand-off queue bound in encoded bytes, e.g. {@code 64MiB} (default); when full, {@code whenFull} decides. */
  public void setQueueMaxBytes(String value) {
    settings.put("queueMaxBytes", value);
  }
  /**
   * Bound of the queue's overflow on disk ({@code <spoolDir>/overflow}), e.g. {@code 1GiB} (default): while the queue
   * is full, logging threads write their records there instead of waiting; {@code 0}: no overflow.
   */
  public void setOverflowMaxBytes(String value) {
    settings.put("overflowMaxBytes", value);
  }
  /** A larger record (encoded) is dropped and counted as TOO_LARGE; default {@code 4MiB}. */
  public void setMaxRecordBytes(String value) {
    settings.put("maxRecordBytes", value);
  }
  /** A batch is cut at this many records; default 2048. */
  public void setBatchMaxRecords(String value) {
    settings.put("batchMaxRecords", value);
  }
  /** A batch is cut at this many uncompressed bytes; default {@code 1MiB}. */
  public void setBatchMaxBytes(String value) {
    settings.put("batchMaxBytes", value);
  }
  /** A non-empty batch is cut at the latest this long after its first record; default {@code 200ms}. */
  public void setLingerMs(String value) {
    settings.put("lingerMs", value);
  }
  /** Batches sent and not yet acknowledged, at most; default 32. */
  public void setMaxInFlightBatches(String value) {
    settings.put("maxInFlightBatches", value);
  }
  /** First reconnect backoff; default {@code 100ms}. */
  public void setReconnectMinMs(String value) {
    settings.put("reconnectMinMs", value);
  }
  /** Reconnect backoff cap; default {@code 10s}. */
  public void setReconnectMaxMs(String value) {
    settings.put("reconnectMaxMs", value);
  }
  /** Upper bound of {@link #stop()}, e.g. {@code 5s} (default); what is not shipped by then stays in the spool. */
  public void setCloseTimeoutMs(String value) {
    settings.put("closeTimeoutMs", value);
  }
  /** zstd level in [-7, 22]; default 1 (3 compresses a few per cent smaller for a third more batcher CPU). */
  public void setZstdLevel(String value) {
    settings.put("zstdLevel", value);
  }

  /**
   * Adds {@code code.filepath}, {@code code.lineno}, {@code code.namespace}, {@code code.function}. Default false:
   * Logback computes caller data from a stack walk on every event, which costs microseconds.
   */
  public void setIncludeCallerData(boolean value) { includeCallerData = value; }
  /** MDC keys to ship, comma-separated globs ({@code *}, {@code ?}); default: all. */
  public void setMdcInclude(String value) {
    mdcInclude = value;
  }
  /** MDC keys not to ship, comma-separated globs, applied after {@code mdcInclude}; default: none. */
  public void setMdcExclude(String value) {
    mdcExclude = value;
  }
  /** {@code service.version} resource attribute; default: none. */
  public void setServiceVersion(String value) {
    serviceVersion = value;
  }
  /**
   * {@code true}: the record's exception is the root cause, each {@code cause} the throwable that wrapped it (the
   * logged one last); a depth limit then cuts the outermost wrappers. Default false (the logged throwable first).
   */
  public void setRootCauseFirst(boolean value) { rootCauseFirst = value; }
  /** Nested throwables (top, causes, suppressed) kept per event, at least 1; default 256. */
  public void setMaxExceptionDepth(int value) {
    maxExceptionDepth = value;
  }
  /** Stack frames kept per throwable, at least 0; default 256. The rest are counted as omitted. */
  public void setMaxFrames(int value) {
    maxFrames = value;
  }

  public boolean isIncludeCallerData() { return includeCallerData; }
  public String getMdcInclude() { return mdcInclude; }
  public String getMdcExclude() { return mdcExclude; }
  public int getMaxExceptionDepth() { return maxExceptionDepth; }
  public int getMaxFrames() { return maxFrames; }
  public String getServiceVersion() { return serviceVersion; }
  public boolean isRootCauseFirst() { return rootCauseFirst; }

  /** Builds the configuration, starts the pipeline (which never waits on the network) and starts appending. */
  @Override
  public void start() {
    if (isStarted()) return;
    if (!configure()) return;
    Pipeline started;
    try {
      started = Pipeline.start(config);
    } catch (RuntimeException | LinkageError e) {
      // A LinkageError is a dependency conflict (e.g. an older library version pinned by the application): the
      // appender stays off and the application starts, as with any other start failure.
      addError(prefix() + "could not start the pipeline (spool " + config.spoolDir() + "): " + e, e);
      return;
    }
    pipeline = started;
    sink = new RecordSink() {
      @Override
      public boolean offer(DeferredRecord record) {
        return started.offer(record);
      }

      @Override
      public boolean refuseWhenFull(int severityNumber) {
        return started.refuseWhenFull(severityNumber);
      }

      @Override
      public void captureFailed(Throwable error) {
        started.captureFailed(error);
      }
    };
    registerShutdownHook(started);
    super.start();
  }

  /**
   * Closes the pipeline when the JVM exits without {@link #stop()} (no {@code <shutdownHook/>} in logback.xml, or
   * an application that never stops Logback): the queued records reach the spool, bounded by
   * {@code closeTimeoutMs}, and are shipped by the next start. Removed again by {@link #stop()}.
   */
  private void registerShutdownHook(Pipeline started) {
    Thread hook = new Thread(started::close, "sluice-shutdown-" + getName());
    try {
      Runtime.getRuntime().addShutdownHook(hook);
      shutdownHook = hook;
    } catch (IllegalStateException | SecurityException e) {
      // Already shutting down, or not allowed: stop() is then the only flush.
      addInfo(prefix() + "no JVM shutdown hook (" + e + "); records are flushed to the spool by stop() only");
    }
  }

  /** Starts with records going to {@code target} instead of a pipeline: unit tests of the mapping and the guard. */
  void start(RecordSink target) {
    if (isStarted()) return;
    if (!configure()) return;
    sink = target;
    super.start();
  }

  /** Stops appending, then closes the pipeline within {@code closeTimeoutMs}; unshipped records stay spooled. */
  @Override
  public void stop() {
    if (!isStarted()) return;
    super.stop();
    sink = null;
    Thread hook = shutdownHook;
    shutdownHook = null;
    if (hook != null && hook != Thread.currentThread()) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // The JVM is exiting and the hook runs (or ran); close() below is idempotent.
      }
    }
    Pipeline p = pipeline;
    if (p == null) return;
    try {
      p.close();
    } catch (RuntimeException e) {
      addWarn(prefix() + "closing the pipeline failed: " + e, e);
    }
  }

  @Override
  protected void append(ILoggingEvent event) {
    RecordSink target = sink;
    if (target == null) return;
    try {
      if (Pipeline.isInternalThread() || isInternalLogger(event.getLoggerName())) return;
      // Under a backlog a refused call costs no capture (the refusal is counted all the same).
      if (target.refuseWhenFull(LogbackEventMapper.severity(event.getLevel()).getNumber())) return;
      target.offer(mapper.capture(event));
    } catch (Throwable e) {
      // Never into the application, and never silent: the pipeline counts every such event (CAPTURE_FAILED) and
      // reports the first one as an error, in Logback's status and on stderr. Everything is caught (a
      // NoClassDefFoundError from a classpath that lacks a dependency is the usual case); a VirtualMachineError is
      // counted like the rest, there is nothing better to do with it on the application's thread.
      captureFailed(target, e);
    }
  }

  private void captureFailed(RecordSink target, Throwable error) {
    try {
      target.captureFailed(error);
    } catch (Throwable ignored) {
      // Counting must not throw either; the application's call returns normally.
    }
  }

  static boolean isInternalLogger(String loggerName) {
    return Pipeline.isInternalLogger(loggerName);
  }

  /** The pipeline's counters; null before the first successful {@link #start()}. Still readable after stop. */
  public PipelineStats stats() {
    Pipeline p = pipeline;
    return p == null ? null : p.stats();
  }

  /** The configuration built by the last {@link #start()}; null when a setting was wrong or start never ran. */
  PipelineConfig config() {
    return config;
  }

  LogbackEventMapper mapper() {
    return mapper;
  }

  /** Parses every setting; reports each bad one as a status error naming its key. True when all are good. */
  private boolean configure() {
    config = null;
    boolean ok = true;
    PipelineConfig.Builder builder = PipelineConfig.builder();
    // From the environment first, so that configured resourceAttributes override them.
    EnvironmentResource.detect().forEach(builder::resourceAttribute);
    for (Map.Entry<String, String> e : settings.entrySet()) {
      try {
        builder.set(e.getKey(), e.getValue());
      } catch (ConfigException ce) {
        addError(prefix() + ce.getMessage());
        ok = false;
      }
    }
    if (serviceVersion != null && !serviceVersion.isBlank())
      builder.resourceAttribute("service.version", serviceVersion.trim());
    if (maxExceptionDepth < 1) {
      addError(prefix() + "maxExceptionDepth: must be >= 1, was " + maxExceptionDepth + "; the default is "
          + Exceptions.DEFAULT_MAX_DEPTH);
      ok = false;
    }
    if (maxFrames < 0) {
      addError(prefix() + "maxFrames: must be >= 0, was " + maxFrames + "; the default is 256");
      ok = false;
    }
    if (!ok) return false;
    builder.diagnostics(new io.sluice.sdk.pipeline.Diagnostics() {
      @Override
      public void warn(String message, Throwable error) {
        addWarn(prefix() + message, error);
      }

      // Logback prints status messages only while it configures (or with debug="true"): an error that stops
      // shipping is also written to stderr, once per occurrence the pipeline reports.
      @Override
      public void error(String message, Throwable error) {
        addError(prefix() + message, error);
        System.err.println("[sluice] ERROR " + prefix() + message + (error == null ? "" : ": " + error));
      }

      @Override
      public boolean errorsOnStderr() {
        return true;
      }
    });
    try {
      config = builder.build();
    } catch (ConfigException ce) {
      addError(prefix() + ce.getMessage());
      return false;
    }
    mapper = new LogbackEventMapper(Clock.systemUTC(), includeCallerData, KeyGlobs.parse(mdcInclude),
        KeyGlobs.parse(mdcExclude), maxExceptionDepth, maxFrames, rootCauseFirst);
    return true;
  }

  private String prefix() {
    return "SluiceAppender [" + getName() + "]: ";
  }
}
