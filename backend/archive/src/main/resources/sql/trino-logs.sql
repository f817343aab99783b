-- The same table created from Trino through the catalog in trino/catalog/sluice.properties (file metastore).
-- Partition columns come last, in directory order. Replace external_location with the archive root.
CREATE SCHEMA IF NOT EXISTS sluice.logs;

CREATE TABLE IF NOT EXISTS sluice.logs.events (
  identity          varchar,
  tenant            varchar,
  topic             varchar,
  time_unix_nano    bigint,
  event_time        timestamp(6),
  host              varchar,
  severity          varchar,
  severity_text     varchar,
  body              varchar,
  message_template  varchar,
  logger            varchar,
  thread            varchar,
  trace_id          varchar,
  span_id           varchar,
  exception_type    varchar,
  exception_message varchar,
  top_frame         varchar,
  fingerprint       varchar,
  attributes        map(varchar, varchar),
  size_bytes        integer,
  "date"            varchar,
  "hour"            varchar,
  service           varchar
)
WITH (
  format = 'PARQUET',
  partitioned_by = ARRAY['date', 'hour', 'service'],
  external_location = 'hdfs://namenode:8020/sluice/logs'
);

-- Register partitions written since the last call.
CALL sluice.system.sync_partition_metadata('logs', 'events', 'ADD');

-- SELECT service, severity, count(*) FROM sluice.logs.events WHERE "date" = '2026-11-23' GROUP BY 1, 2 ORDER BY 3 DESC;
