variable "kubeconfig_path" {
  description = "kubeconfig of the cluster to install into"
  type        = string
  default     = "~/.kube/config"
}

variable "kube_context" {
  description = "kubeconfig context; null = the current one"
  type        = string
  default     = null
}

variable "namespace" {
  description = "namespace of the collector release and the secrets (created if missing)"
  type        = string
  default     = "sluice"
}

variable "release_name" {
  description = "Helm release name; the collector's Service is <release>-sluice-collector"
  type        = string
  default     = "sluice"
}

variable "chart_path" {
  description = "the collector chart; empty = collector/helm/sluice-collector of this repository"
  type        = string
  default     = ""
}

variable "collector_image_tag" {
  description = "collector image tag; empty = the chart's default (the project version)"
  type        = string
  default     = ""
}

variable "kafka_bootstrap_servers" {
  description = "Kafka brokers host:port, as the Kafka provider and the collector reach them"
  type        = list(string)
}

variable "kafka_tls_enabled" {
  description = "whether the Kafka provider talks TLS to the brokers"
  type        = bool
  default     = false
}

variable "logs_topic" {
  description = "the collector's default topic (the chart's kafka.topic); the backend job reads it"
  type        = string
  default     = "sluice-logs"
}

variable "dead_letter_topic" {
  description = "where the collector puts records no route accepts (the chart's kafka.deadLetterTopic)"
  type        = string
  default     = "sluice-dead-letter"
}

variable "alerts_topic" {
  description = "where the backend job writes fired alerts (its --alerts-topic)"
  type        = string
  default     = "sluice-alerts"
}

variable "partitions" {
  description = "partitions of the logs topic: the most collector producers and backend readers that work in parallel"
  type        = number
  default     = 12
}

variable "replication_factor" {
  description = "replicas of every topic; min.insync.replicas is one less (at least 1), so acks=all survives one broker"
  type        = number
  default     = 3
}

variable "retention_ms" {
  description = "how long Kafka keeps logs: the backend's replay horizon after an outage (default 7 days)"
  type        = number
  default     = 604800000
}

variable "tenant_api_keys" {
  description = "API key per tenant. The collector gets only sha256 digests; the keys go to the secret clients mount"
  type        = map(string)
  sensitive   = true
  default     = {}
  validation {
    condition     = alltrue([for t in keys(var.tenant_api_keys) : can(regex("^[a-z0-9-]+$", t))])
    error_message = "Tenant names are lower-case letters, digits and '-' (they become Helm value paths)."
  }
}

variable "tls_cert_pem" {
  description = "the collector's TLS certificate (PEM); empty = plaintext gRPC (e.g. when the mesh does mTLS)"
  type        = string
  default     = ""
}

variable "tls_key_pem" {
  description = "its private key, PKCS#8 PEM"
  type        = string
  sensitive   = true
  default     = ""
}

variable "opensearch_password" {
  description = "the backend job's OpenSearch password (secret sluice-backend, key opensearch-password)"
  type        = string
  sensitive   = true
  default     = ""
}

variable "rules_password" {
  description = "the backend job's alert-rules database password (secret sluice-backend, key rules-password)"
  type        = string
  sensitive   = true
  default     = ""
}

variable "service_monitor_enabled" {
  description = "create the chart's ServiceMonitor (needs the Prometheus Operator's CRDs)"
  type        = bool
  default     = false
}
