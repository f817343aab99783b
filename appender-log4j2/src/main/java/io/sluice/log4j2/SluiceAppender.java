package io.sluice.log4j2;

import io.sluice.sdk.pipeline.ConfigException;
import io.sluice.sdk.pipeline.EnvironmentResource;
import io.sluice.sdk.pipeline.Pipeline;
import io.sluice.sdk.pipeline.PipelineConfig;
import io.sluice.sdk.pipeline.PipelineStats;
import io.sluice.sdk.record.Exceptions;
import io.sluice.sdk.record.KeyGlobs;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.Core;
import org.apache.logging.log4j.core.Filter;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.Property;
import org.apache.logging.log4j.core.config.plugins.Plugin;
import org.apache.logging.log4j.core.config.plugins.PluginBuilderAttribute;
import org.apache.logging.log4j.core.config.plugins.PluginBuilderFactory;

/**
 * The {@code Sluice} Log4j2 appender: ships events to a Sluice collector through an sdk-core {@link Pipeline}
 * (hand-off queue, batcher, RocksDB spool, gRPC shipper) owned by a ref-counted {@link SluiceManager}.
 *
 * <p>{@link #append} runs on the thread that calls the appender (the application's, unless async loggers or an
 * {@code AsyncAppender} sit in front): it copies the event's fields into a pooled, preallocated slot
 * ({@link CapturedEvent}, as Log4j2's async loggers do with their ring buffer's events: Log4j2 reuses event objects,
 * so the event itself is not kept, and the usual event allocates nothing) and offers the slot to the pipeline's
 * bounded queue; the pipeline's batcher thread encodes the record from it ({@link Log4j2EventMapper}) and gives the
 * slot back. It never
 * waits on the network, never blocks unless {@code whenFull=block}, and never throws; a refused record is counted
 * by the pipeline under a drop reason. Memory is bounded by {@code queueMaxRecords}/{@code queueMaxBytes} and
 * {@code spoolMaxBytes}.
 *
 * <p>Recursion guard: events logged on Sluice's own threads ({@link Pipeline#isInternalThread()}) and events from
 * the loggers of the libraries Sluice runs on ({@link Pipeline#INTERNAL_LOGGER_PREFIXES}) are ignored, so shipping a record can
 * never log a record that needs shipping. Re-entry on the same thread is already stopped by Log4j2's
 * {@code AppenderControl}.
 *
 * <p>Settings ({@link Builder}): one String attribute per {@link PipelineConfig#KEYS} key, with the same names as
 * the Logback appender's, parsed by {@link PipelineConfig.Builder#set}; {@code <Property name="k" value="v"/>}
 * children add resource attributes. Appender-only: {@code includeCallerData}, {@code mdcInclude},
 * {@code mdcExclude}, {@code maxExceptionDepth}, {@code maxFrames}. A bad value is a StatusLogger error naming the
 * key, and the builder returns null, so Log4j2 reports the appender as missing.
 */
@Plugin(name = "Sluice", category = Core.CATEGORY_NAME, elementType = Appender.ELEMENT_TYPE, printObject = true)
public final class SluiceAppender extends AbstractAppender {

  /** Logger-name prefixes whose events are never shipped: Sluice itself and the libraries on its shipping path. */

  /**
   * Where captured events go: the manager's pipeline in production, a list in mapping tests. Must not block or
   * throw; false when the record was not taken (the appender then gives it back to the pool).
   */
  interface RecordSink {
    boolean offer(CapturedEvent record);

    /** True when a record would be refused now anyway (counted as refused): the event is then not captured. */
    default boolean refuseWhenFull(int severityNumber) {
      return false;
    }

    /** Capturing an event threw: count it as dropped ({@code CAPTURE_FAILED}) and report the first one. */
    default void captureFailed(Throwable error) {}

    /** Whether the next record would be encoded on the caller's thread: see {@link Pipeline#encodesOnCaller()}. */
    default boolean encodesOnCaller() {
      return false;
    }

    /** Offers a record valid only during the call: see {@link Pipeline#offerNow}. */
    default boolean offerNow(io.sluice.sdk.pipeline.DeferredRecord record) {
      throw new UnsupportedOperationException("offerNow");
    }
  }

  private final SluiceManager manager;
  private final Log4j2EventMapper mapper;
  private volatile RecordSink sink;

  private SluiceAppender(String name, Filter filter, Property[] properties, SluiceManager manager,
      Log4j2EventMapper mapper) {
    super(name, filter, null, true, properties);
    this.manager = manager;
    this.mapper = mapper;
    this.sink = new RecordSink() {
      @Override
      public boolean offer(CapturedEvent record) {
        return manager.offer(record);
      }

      @Override
      public boolean refuseWhenFull(int severityNumber) {
        return manager.refuseWhenFull(severityNumber);
      }

      @Override
      public void captureFailed(Throwable error) {
        manager.captureFailed(error);
      }

      @Override
      public boolean encodesOnCaller() {
        return manager.encodesOnCaller();
      }

      @Override
      public boolean offerNow(io.sluice.sdk.pipeline.DeferredRecord record) {
        return manager.offerNow(record);
      }
    };
  }

  @PluginBuilderFactory
  public static <B extends Builder<B>> B newBuilder() {
    return new Builder<B>().asBuilder();
  }

  @Override
  public void append(LogEvent event) {
    RecordSink target = sink;
    try {
      if (Pipeline.isInternalThread() || isInternalLogger(event.getLoggerName())) return;
      // Under a backlog a refused call takes no slot and copies nothing (the refusal is counted all the same).
      if (target.refuseWhenFull(event.getLevel() == null ? 0
          : Log4j2EventMapper.severity(event.getLevel().intLevel()).getNumber()))
        return;
      if (target.encodesOnCaller()) {
        // Under a backlog the record is encoded here anyway: from the live event, without copying it first.
        LiveEvent live = LiveEvent.of(event, mapper);
        try {
          target.offerNow(live);
        } finally {
          live.clear();
        }
        return;
      }
      CapturedEvent record = CapturedEvent.take().capture(event, mapper);
      // Not recycled when refused: the pipeline may have built it (and so given the slot back) while it waited for
      // room. A refused slot is left to the garbage collector; refusals are rare (a wait that timed out).
      target.offer(record);
    } catch (Throwable e) {
      // Never into the application, and never silent: the pipeline counts every such event (CAPTURE_FAILED) and
      // reports the first one as an error, on the StatusLogger and on stderr. A NoClassDefFoundError from a
      // classpath that lacks a dependency is the usual case.
      try {
        target.captureFailed(e);
      } catch (Throwable ignored) {
        // Counting must not throw either.
      }
    }
  }

  static boolean isInternalLogger(String loggerName) {
    return Pipeline.isInternalLogger(loggerName);
  }

  /** Caller data costs a stack walk per event; Log4j2 computes it only when an appender asks. */
  @Override
  public boolean requiresLocation() {
    return mapper.includeCallerData();
  }

  /**
   * Stops taking events, then lets go of the manager; the last appender to let go closes the pipeline, which
   * returns within about {@code closeTimeoutMs} and leaves what it did not ship in the spool for the next start.
   */
  @Override
  public boolean stop(long timeout, TimeUnit timeUnit) {
    setStopping();
    boolean stopped = super.stop(timeout, timeUnit, false);
    stopped &= manager.stop(timeout, timeUnit);
    setStopped();
    return stopped;
  }

  /** The pipeline's counters; null when its pipeline is not running (stopped, or restarting). */
  public PipelineStats stats() {
    return manager.stats();
  }

  /** The pipeline configuration in force. */
  PipelineConfig config() {
    return manager.config();
  }

  Log4j2EventMapper mapper() {
    return mapper;
  }

  SluiceManager manager() {
    return manager;
  }

  /** Sends mapped records to {@code target} instead of the pipeline: mapping tests. */
  void redirect(RecordSink target) {
    sink = target;
  }

  /**
   * Builds a {@link SluiceAppender} from log4j2.xml / .properties / .yaml attributes (Log4j2 substitutes
   * {@code ${env:X}} and {@code ${sys:y}} in them first) or programmatically through the setters. Every value is
   * text, parsed in {@link #build()} so that every error is reported there, naming its key.
   */
  public static class Builder<B extends Builder<B>> extends AbstractAppender.Builder<B>
    implements org.apache.logging.log4j.core.util.Builder<SluiceAppender> {

    // Pipeline settings: the names are PipelineConfig.KEYS, the same as the Logback appender's setters.
    @PluginBuilderAttribute
    private String endpoint;
    @PluginBuilderAttribute
    private String serviceName;
    @PluginBuilderAttribute
    private String resourceAttributes;
    @PluginBuilderAttribute
    private String tenant;
    @PluginBuilderAttribute(sensitive = true)
    private String credentials;
    @PluginBuilderAttribute
    private String clientId;
    @PluginBuilderAttribute
    private String spoolDir;
    @PluginBuilderAttribute
    private String spoolMaxBytes;
    @PluginBuilderAttribute
    private String whenFull;
    @PluginBuilderAttribute
    private String blockTimeoutMs;
    @PluginBuilderAttribute
    private String queueWaitMs;
    @PluginBuilderAttribute
    private String fsync;
    @PluginBuilderAttribute
    private String queueMaxRecords;
    @PluginBuilderAttribute
    private String queueMaxBytes;
    @PluginBuilderAttribute
    private String maxRecordBytes;
    @PluginBuilderAttribute
    private String overflowMaxBytes;
    @PluginBuilderAttribute
    private String batchMaxRecords;
    @PluginBuilderAttribute
    private String batchMaxBytes;
    @PluginBuilderAttribute
    private String lingerMs;
    @PluginBuilderAttribute
    private String maxInFlightBatches;
    @PluginBuilderAttribute
    private String reconnectMinMs;
    @PluginBuilderAttribute
    private String reconnectMaxMs;
    @PluginBuilderAttribute
    private String closeTimeoutMs;
    @PluginBuilderAttribute
    private String zstdLevel;
    @PluginBuilderAttribute
    private String tls;
    @PluginBuilderAttribute
    private String trustCertPath;
    @PluginBuilderAttribute
    private String clientCertPath;
    @PluginBuilderAttribute
    private String clientKeyPath;
    @PluginBuilderAttribute
    private String credentialsFile;
    @PluginBuilderAttribute
    private String oauth2Issuer;
    @PluginBuilderAttribute
    private String oauth2TokenUrl;
    @PluginBuilderAttribute
    private String oauth2ClientId;
    @PluginBuilderAttribute(sensitive = true)
    private String oauth2ClientSecret;
    @PluginBuilderAttribute
    private String oauth2ClientSecretFile;
    @PluginBuilderAttribute
    private String oauth2Scope;
    @PluginBuilderAttribute
    private String oauth2Audience;

    // Appender-only settings.
    @PluginBuilderAttribute
    private String includeCallerData;
    @PluginBuilderAttribute
    private String mdcInclude;
    @PluginBuilderAttribute
    private String mdcExclude;
    @PluginBuilderAttribute
    private String maxExceptionDepth;
    @PluginBuilderAttribute
    private String maxFrames;
    @PluginBuilderAttribute
    private String rootCauseFirst;
    @PluginBuilderAttribute
    private String serviceVersion;

    /** Collector addresses, {@code host:port[,host:port...]}; default {@code 127.0.0.1:4417}. */
    public B setEndpoint(String v) {
      endpoint = v;
      return asBuilder();
    }
    /** {@code service.name} resource attribute; default {@code unknown_service:java}. */
    public B setServiceName(String v) {
      serviceName = v;
      return asBuilder();
    }
    /** More resource attributes, {@code k=v,k2=v2}; {@code <Property>} children add more. */
    public B setResourceAttributes(String v) {
      resourceAttributes = v;
      return asBuilder();
    }
    /** Tenant sent in the stream's hello; default empty. */
    public B setTenant(String v) {
      tenant = v;
      return asBuilder();
    }
    /** Credentials sent in the stream's hello; default empty. Never printed. */
    public B setCredentials(String v) {
      credentials = v;
      return asBuilder();
    }
    /**
     * A file holding the credentials (an API key or {@code Bearer <JWT>}), re-read when it changes (Vault agent,
     * Kubernetes Secret volume); default none. Excludes {@code credentials} and OAuth2.
     */
    public B setCredentialsFile(String v) { credentialsFile = v; return asBuilder(); }
    /** OIDC issuer for OAuth2 client credentials; its discovery document names the token endpoint. */
    public B setOauth2Issuer(String v) {
      oauth2Issuer = v;
      return asBuilder();
    }
    /** OAuth2 token endpoint, when not discovered from {@code oauth2Issuer}. */
    public B setOauth2TokenUrl(String v) {
      oauth2TokenUrl = v;
      return asBuilder();
    }
    /** OAuth2 client id. */
    public B setOauth2ClientId(String v) { oauth2ClientId = v; return asBuilder(); }
    /** OAuth2 client secret (or {@code oauth2ClientSecretFile}). Never printed. */
    public B setOauth2ClientSecret(String v) {
      oauth2ClientSecret = v;
      return asBuilder();
    }
    /** A file holding the OAuth2 client secret, re-read before every token request. */
    public B setOauth2ClientSecretFile(String v) {
      oauth2ClientSecretFile = v;
      return asBuilder();
    }
    /** Space-separated OAuth2 scopes; default none. */
    public B setOauth2Scope(String v) {
      oauth2Scope = v;
      return asBuilder();
    }
    /** An OAuth2 {@code audience} parameter; default none. */
    public B setOauth2Audience(String v) {
      oauth2Audience = v;
      return asBuilder();
    }
    /** {@code true}: connect to the collector with TLS; default false (plaintext). */
    public B setTls(String v) {
      tls = v;
      return asBuilder();
    }
    /** PEM CA certificate(s) the collector's certificate must chain to; default: the JVM's trust store. */
    public B setTrustCertPath(String v) {
      trustCertPath = v;
      return asBuilder();
    }
    /** PEM client certificate chain for mTLS (with {@code clientKeyPath}); default none. */
    public B setClientCertPath(String v) {
      clientCertPath = v;
      return asBuilder();
    }
    /** PEM PKCS#8 private key of {@code clientCertPath}. */
    public B setClientKeyPath(String v) {
      clientKeyPath = v;
      return asBuilder();
    }
    /** Stable client id; default: created at first start and kept in the spool. */
    public B setClientId(String v) {
      clientId = v;
      return asBuilder();
    }
    /** RocksDB spool directory, one pipeline per directory; default {@code ${java.io.tmpdir}/sluice-spool/<service>}. */
    public B setSpoolDir(String v) {
      spoolDir = v;
      return asBuilder();
    }
    /** Spool byte cap, e.g. {@code 256MiB} (the default); at the cap {@code whenFull} decides. */
    public B setSpoolMaxBytes(String v) {
      spoolMaxBytes = v;
      return asBuilder();
    }
    /** {@code drop-oldest} (default), {@code drop-newest} or {@code block}. */
    public B setWhenFull(String v) {
      whenFull = v;
      return asBuilder();
    }
    /** How long {@code block} waits before dropping, e.g. {@code 1s} (default). */
    public B setBlockTimeoutMs(String v) {
      blockTimeoutMs = v;
      return asBuilder();
    }
    /**
     * How long a log call waits for room in a full hand-off queue before the event is dropped (QUEUE_FULL), e.g.
     * {@code 1s} (the default); {@code 0} drops at once. WARN and above have a reserved eighth of the queue.
     */
    public B setQueueWaitMs(String v) { queueWaitMs = v; return asBuilder(); }
    /** {@code never} (default) or {@code every-batch}. */
    public B setFsync(String v) { fsync = v; return asBuilder(); }
    /** Hand-off queue bound in records, default 65536; when full, {@code whenFull} decides. */
    public B setQueueMaxRecords(String v) {
      queueMaxRecords = v;
      return asBuilder();
    }
    /** Hand-off queue bound in encoded bytes, e.g. {@code 64MiB} (default); when full, {@code whenFull} decides. */
    public B setQueueMaxBytes(String v) {
      queueMaxBytes = v;
      return asBuilder();
    }
    /**
     * Bound of the queue's overflow on disk ({@code <spoolDir>/overflow}), e.g. {@code 1GiB} (default): while the
     * queue is full, logging threads write their records there instead of waiting; {@code 0}: no overflow.
     */
    public B setOverflowMaxBytes(String v) {
      overflowMaxBytes = v;
      return asBuilder();
    }
    /** A larger record (encoded) is dropped and counted as TOO_LARGE; default {@code 4MiB}. */
    public B setMaxRecordBytes(String v) {
      maxRecordBytes = v;
      return asBuilder();
    }
    /** A batch is cut at this many records; default 2048. */
    public B setBatchMaxRecords(String v) {
      batchMaxRecords = v;
      return asBuilder();
    }
    /** A batch is cut at this many uncompressed bytes; default {@code 1MiB}. */
    public B setBatchMaxBytes(String v) {
      batchMaxBytes = v;
      return asBuilder();
    }
    /** A non-empty batch is cut at the latest this long after its first record; default {@code 200ms}. */
    public B setLingerMs(String v) {
      lingerMs = v;
      return asBuilder();
    }
    /** Batches sent and not yet acknowledged, at most; default 32. */
    public B setMaxInFlightBatches(String v) {
      maxInFlightBatches = v;
      return asBuilder();
    }
    /** First reconnect backoff; default {@code 100ms}. */
    public B setReconnectMinMs(String v) {
      reconnectMinMs = v;
      return asBuilder();
    }
    /** Reconnect backoff cap; default {@code 10s}. */
    public B setReconnectMaxMs(String v) {
      reconnectMaxMs = v;
      return asBuilder();
    }
    /** Upper bound of closing the pipeline, e.g. {@code 5s} (default); what is not shipped by then stays spooled. */
    public B setCloseTimeoutMs(String v) {
      closeTimeoutMs = v;
      return asBuilder();
    }
    /** zstd level in [-7, 22]; default 1 (3 compresses a few per cent smaller for a third more batcher CPU). */
    public B setZstdLevel(String v) {
      zstdLevel = v;
      return asBuilder();
    }
    /** {@code true} adds {@code code.filepath/lineno/namespace/function}; default false (a stack walk per event). */
    public B setIncludeCallerData(String v) {
      includeCallerData = v;
      return asBuilder();
    }
    /** ThreadContext keys to ship, comma-separated globs ({@code *}, {@code ?}); default: all. */
    public B setMdcInclude(String v) {
      mdcInclude = v;
      return asBuilder();
    }
    /** ThreadContext keys not to ship, comma-separated globs, applied after {@code mdcInclude}; default: none. */
    public B setMdcExclude(String v) {
      mdcExclude = v;
      return asBuilder();
    }
    /** {@code service.version} resource attribute; default: none. */
    public B setServiceVersion(String v) {
      serviceVersion = v;
      return asBuilder();
    }
    /** {@code true}: the root cause on top, each {@code cause} the throwable that wrapped it; default false. */
    public B setRootCauseFirst(String v) {
      rootCauseFirst = v;
      return asBuilder();
    }
    /** Nested throwables (top, causes, suppressed) kept per event, at least 1; default 256. */
    public B setMaxExceptionDepth(String v) {
      maxExceptionDepth = v;
      return asBuilder();
    }
    /** Stack frames kept per throwable, at least 0; default 256. The rest are counted as omitted. */
    public B setMaxFrames(String v) {
      maxFrames = v;
      return asBuilder();
    }

    /** The pipeline settings that were given, by {@link PipelineConfig#KEYS} name, in that order. */
    private Map<String, String> pipelineSettings() {
      String[] values = {endpoint, serviceName, resourceAttributes, tenant, credentials, clientId, spoolDir,
          spoolMaxBytes, whenFull, blockTimeoutMs, fsync, queueMaxRecords, queueMaxBytes, maxRecordBytes,
          overflowMaxBytes, batchMaxRecords, batchMaxBytes, lingerMs, maxInFlightBatches, reconnectMinMs,
          reconnectMaxMs,
          closeTimeoutMs, zstdLevel, tls, trustCertPath, clientCertPath, clientKeyPath, queueWaitMs,
          credentialsFile, oauth2Issuer, oauth2TokenUrl, oauth2ClientId, oauth2ClientSecret, oauth2ClientSecretFile,
          oauth2Scope, oauth2Audience};
      Map<String, String> given = new LinkedHashMap<>();
      for (int i = 0; i < values.length; i++) {
        if (values[i] != null) given.put(PipelineConfig.KEYS.get(i), values[i]);
      }
      return given;
    }

    /**
     * Validates every setting and obtains the manager (starting its pipeline, which never waits on the network).
     * Returns null after reporting each problem as a StatusLogger error naming its key.
     */
    @Override
    public SluiceAppender build() {
      String prefix = "Sluice appender [" + getName() + "]: ";
      boolean ok = true;
      Map<String, String> raw = pipelineSettings();
      PipelineConfig.Builder config = PipelineConfig.builder();
      // From the environment first, so that configured resourceAttributes and <Property> children override them.
      EnvironmentResource.detect().forEach((k, v) -> {
        config.resourceAttribute(k, v);
        raw.put("environment." + k, v);
      });
      if (serviceVersion != null && !serviceVersion.isBlank()) {
        config.resourceAttribute("service.version", serviceVersion.trim());
        raw.put("serviceVersion", serviceVersion.trim());
      }
      for (Map.Entry<String, String> e : raw.entrySet()) {
        if (!PipelineConfig.KEYS.contains(e.getKey())) continue;
        try {
          config.set(e.getKey(), e.getValue());
        } catch (ConfigException ce) {
          LOGGER.error("{}{}", prefix, ce.getMessage());
          ok = false;
        }
      }
      Property[] properties = getPropertyArray();
      if (properties != null) {
        Configuration configuration = getConfiguration();
        for (Property p : properties) {
          String value = p.getValue();
          if (p.isValueNeedsLookup() && configuration != null) value = configuration.getStrSubstitutor().replace(value);
          try {
            config.resourceAttribute(p.getName(), value);
            raw.put("resourceAttributes." + p.getName(), value);
          } catch (ConfigException ce) {
            LOGGER.error("{}{} (a <Property> child needs a name)", prefix, ce.getMessage());
            ok = false;
          }
        }
      }
      Boolean callerData = parseBoolean(prefix, "includeCallerData", includeCallerData, false);
      Boolean rootFirst = parseBoolean(prefix, "rootCauseFirst", rootCauseFirst, false);
      Integer depth = parseInt(prefix, "maxExceptionDepth", maxExceptionDepth, Exceptions.DEFAULT_MAX_DEPTH, 1);
      Integer frames = parseInt(prefix, "maxFrames", maxFrames, 256, 0);
      if (!ok || callerData == null || rootFirst == null || depth == null || frames == null) return null;

      String name = getName();
      config.diagnostics(new io.sluice.sdk.pipeline.Diagnostics() {
        @Override
        public void warn(String message, Throwable error) {
          LOGGER.warn("Sluice appender [{}]: {}", name, message, error);
        }

        // StatusLogger prints ERROR to stderr at its default level, so an error is seen without status="warn".
        @Override
        public void error(String message, Throwable error) {
          LOGGER.error("Sluice appender [{}]: {}", name, message, error);
        }
      });
      PipelineConfig built;
      try {
        built = config.build();
      } catch (ConfigException ce) {
        LOGGER.error("{}{}", prefix, ce.getMessage());
        return null;
      }
      SluiceManager manager;
      try {
        manager = SluiceManager.obtain(new SluiceManager.Settings(raw, built));
      } catch (IllegalStateException e) {
        // The manager factory has already reported why (spool directory locked or unreadable).
        LOGGER.error("{}no pipeline for spoolDir {}; the appender is not created", prefix, built.spoolDir());
        return null;
      }
      Log4j2EventMapper mapper = new Log4j2EventMapper(Clock.systemUTC(), callerData, KeyGlobs.parse(mdcInclude),
          KeyGlobs.parse(mdcExclude), depth, frames, rootFirst);
      return new SluiceAppender(name, getFilter(), properties, manager, mapper);
    }

    private static Boolean parseBoolean(String prefix, String key, String value, boolean dflt) {
      if (value == null || value.isBlank()) return dflt;
      String v = value.trim();
      if (v.equalsIgnoreCase("true")) return Boolean.TRUE;
      if (v.equalsIgnoreCase("false")) return Boolean.FALSE;
      LOGGER.error("{}{}: \"{}\" is not a boolean; write true or false", prefix, key, value);
      return null;
    }

    private static Integer parseInt(String prefix, String key, String value, int dflt, int min) {
      if (value == null || value.isBlank()) return dflt;
      try {
        int n = Integer.parseInt(value.trim());
        if (n >= min) return n;
        LOGGER.error("{}{}: must be >= {}, was {}; the default is {}", prefix, key, min, n, dflt);
      } catch (NumberFormatException e) {
        LOGGER.error("{}{}: \"{}\" is not a whole number; the default is {}", prefix, key, value, dflt);
      }
      return null;
    }
  }
}
