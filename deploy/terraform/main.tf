# Sluice's shared infrastructure on a cluster that already runs Kafka: the topics, the secrets, and the collector's
# Helm release. The agent chart, the Flink job (backend/deploy/flink) and the query service come after it
# (docs/DEPLOYING.md).

locals {
  chart = var.chart_path != "" ? var.chart_path : "${path.module}/../../collector/helm/sluice-collector"
  # acks=all needs min.insync.replicas brokers: one less than the replicas survives one broker down
  min_insync = max(1, var.replication_factor - 1)
  tls        = var.tls_cert_pem != ""
}

resource "kubernetes_namespace" "sluice" {
  metadata {
    name = var.namespace
  }
}

# --- Kafka topics -------------------------------------------------------------------------------------------------

resource "kafka_topic" "logs" {
  name               = var.logs_topic
  partitions         = var.partitions
  replication_factor = var.replication_factor
  config = {
    "retention.ms"        = var.retention_ms
    "min.insync.replicas" = local.min_insync
    # the collector compresses batches itself (zstd): keep what the producer wrote
    "compression.type" = "producer"
    # one Kafka record per client batch: the collector's batches are up to its maxBatchBytes
    "max.message.bytes" = 8388608
  }
}

resource "kafka_topic" "dead_letter" {
  name               = var.dead_letter_topic
  partitions         = 3
  replication_factor = var.replication_factor
  config = {
    "retention.ms"        = var.retention_ms
    "min.insync.replicas" = local.min_insync
    "max.message.bytes"   = 8388608
  }
}

resource "kafka_topic" "alerts" {
  name               = var.alerts_topic
  partitions         = 1
  replication_factor = var.replication_factor
  config = {
    "retention.ms"        = var.retention_ms
    "min.insync.replicas" = local.min_insync
    # alerts are keyed by their id: compaction keeps the latest of each
    "cleanup.policy" = "compact,delete"
  }
}

# --- Secrets ------------------------------------------------------------------------------------------------------

# The raw API keys, for the clients (appenders' and agents' credentials files mount this secret); the collector
# itself only ever sees their digests (the release below).
resource "kubernetes_secret" "api_keys" {
  metadata {
    name      = "sluice-api-keys"
    namespace = kubernetes_namespace.sluice.metadata[0].name
  }
  data = var.tenant_api_keys
}

# The collector's certificate, mounted by the chart at /etc/sluice/tls (tls.enabled, tls.secretName).
resource "kubernetes_secret" "collector_tls" {
  count = local.tls ? 1 : 0
  metadata {
    name      = "sluice-collector-tls"
    namespace = kubernetes_namespace.sluice.metadata[0].name
  }
  type = "kubernetes.io/tls"
  data = {
    "tls.crt" = var.tls_cert_pem
    "tls.key" = var.tls_key_pem
  }
}

# The backend job's passwords, read by JobMain from OS_PASSWORD / RULES_PASSWORD (backend/deploy/flink).
resource "kubernetes_secret" "backend" {
  metadata {
    name      = "sluice-backend"
    namespace = kubernetes_namespace.sluice.metadata[0].name
  }
  data = {
    "opensearch-password" = var.opensearch_password
    "rules-password"      = var.rules_password
  }
}

# --- The collector ------------------------------------------------------------------------------------------------

resource "helm_release" "collector" {
  name      = var.release_name
  namespace = kubernetes_namespace.sluice.metadata[0].name
  chart     = local.chart
  wait      = true
  timeout   = 600

  set {
    name  = "kafka.bootstrap"
    value = join(",", var.kafka_bootstrap_servers)
  }
  set {
    name  = "kafka.topic"
    value = kafka_topic.logs.name
  }
  set {
    name  = "kafka.deadLetterTopic"
    value = kafka_topic.dead_letter.name
  }
  set {
    name  = "serviceMonitor.enabled"
    value = var.service_monitor_enabled
  }
  set {
    name  = "tls.enabled"
    value = local.tls
  }
  set {
    name  = "tls.secretName"
    value = "sluice-collector-tls"
  }
  dynamic "set" {
    for_each = var.collector_image_tag != "" ? [var.collector_image_tag] : []
    content {
      name  = "image.tag"
      value = set.value
    }
  }
  # one tenant per API key, admitted by the key's digest (config.tenants.<name>.apiKeys)
  dynamic "set" {
    for_each = nonsensitive(toset(keys(var.tenant_api_keys)))
    content {
      name  = "config.tenants.${set.value}.apiKeys[0]"
      value = "sha256:${sha256(var.tenant_api_keys[set.value])}"
    }
  }

  depends_on = [kafka_topic.logs, kafka_topic.dead_letter, kubernetes_secret.collector_tls]
}
