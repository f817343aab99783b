output "collector_grpc_endpoint" {
  description = "where appenders and agents send (gRPC): the chart's Service <release>-sluice-collector"
  value       = "${helm_release.collector.name}-sluice-collector.${helm_release.collector.namespace}.svc:4417"
}

output "collector_http_endpoint" {
  description = "the collector's HTTP/OTLP ingest and health/metrics port"
  value       = "http://${helm_release.collector.name}-sluice-collector.${helm_release.collector.namespace}.svc:4418"
}

output "topics" {
  description = "the topics created: the backend job reads logs and writes alerts"
  value = {
    logs        = kafka_topic.logs.name
    dead_letter = kafka_topic.dead_letter.name
    alerts      = kafka_topic.alerts.name
  }
}

output "api_keys_secret" {
  description = "the secret holding each tenant's raw API key (key = tenant), for the clients to mount"
  value       = kubernetes_secret.api_keys.metadata[0].name
}

output "backend_secret" {
  description = "the secret the FlinkDeployment reads OS_PASSWORD and RULES_PASSWORD from"
  value       = kubernetes_secret.backend.metadata[0].name
}
