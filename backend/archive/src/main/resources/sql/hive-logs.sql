-- The Sluice Parquet archive as a Hive table (Hive 3/4, Spark SQL, or Trino's Hive connector over the same metastore).
-- Columns follow avro/log_event.avsc in order; date/hour/service are the directory levels
-- date=YYYY-MM-DD/hour=HH/service=<name> (UTC, Hive-escaped) and are not stored in the files.
-- Replace the LOCATION with the archive root the writer was given (ArchiveConfig key 'root').
-- event_time is Parquet INT64 TIMESTAMP(MICROS, UTC): Hive 4 and Trino read it; on Hive 3 query time_unix_nano.
CREATE DATABASE IF NOT EXISTS sluice;

CREATE EXTERNAL TABLE IF NOT EXISTS sluice.logs (
  identity          STRING COMMENT 'source/epoch/seq/idx: unique per distinct event',
  tenant            STRING,
  topic             STRING,
  time_unix_nano    BIGINT COMMENT 'event time, ns since the epoch',
  event_time        TIMESTAMP COMMENT 'event time, UTC, microseconds',
  host              STRING,
  severity          STRING COMMENT 'UNSPECIFIED TRACE DEBUG INFO WARN ERROR FATAL',
  severity_text     STRING,
  body              STRING,
  message_template  STRING,
  logger            STRING,
  thread            STRING,
  trace_id          STRING,
  span_id           STRING,
  exception_type    STRING,
  exception_message STRING,
  top_frame         STRING,
  fingerprint       STRING COMMENT 'error fingerprint, 16 hex digits, empty for non-errors',
  attributes        MAP<STRING, STRING>,
  size_bytes        INT
)
PARTITIONED BY (`date` STRING, `hour` STRING, service STRING)
STORED AS PARQUET
LOCATION 'hdfs://namenode:8020/sluice/logs';

-- New partitions appear as the archive is written: register them (cron, or after each day's report).
MSCK REPAIR TABLE sluice.logs;

-- Example: errors per service on one day.
-- SELECT service, count(*) FROM sluice.logs WHERE `date` = '2026-11-23' AND severity IN ('ERROR', 'FATAL') GROUP BY service;
