-- Alert rules read by the alerting stage (JdbcAlertRuleSource) and edited with the sluice-alert-rules CLI.
-- Portable SQL: runs unchanged on CockroachDB (production) and PostgreSQL (tests), so no SERIAL, no PG-only types.
-- Statements are separated by semicolons at the end of a line; the CLI's `init` applies them in order.
CREATE TABLE IF NOT EXISTS alert_rules (
  id             VARCHAR(128)     NOT NULL PRIMARY KEY,
  kind           VARCHAR(32)      NOT NULL,                -- error_rate | new_fingerprint (checked by the loader)
  tenant         VARCHAR(256)     NOT NULL DEFAULT '*',    -- '*' = every tenant
  service        VARCHAR(256)     NOT NULL DEFAULT '*',    -- '*' = every service
  window_seconds BIGINT           NOT NULL DEFAULT 0,      -- error_rate: sliding window length, > 0
  threshold      DOUBLE PRECISION NOT NULL DEFAULT 0,      -- error_rate: error fraction, 0..1
  min_records    BIGINT           NOT NULL DEFAULT 0,      -- error_rate: quieter windows never fire
  enabled        BOOLEAN          NOT NULL DEFAULT TRUE,
  updated_at     TIMESTAMPTZ      NOT NULL DEFAULT now()
);
