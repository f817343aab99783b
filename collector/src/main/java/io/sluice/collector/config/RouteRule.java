package io.sluice.collector.config;

/**
 * One routing rule (an entry of {@code routes.rules}); the first rule whose every given condition matches picks the
 * topic. Null conditions match anything.
 *
 * @param tenant tenant glob ({@code *} wildcards), or null
 * @param service {@code service.name} glob (resource or record attribute), or null
 * @param minSeverity lowest severity number that matches (1..24: TRACE=1, DEBUG=5, INFO=9, WARN=13, ERROR=17,
 *     FATAL=21), 0 = any
 * @param topic the target topic; {@code {tenant}} and {@code {service}} are replaced by the record's values
 */
public record RouteRule(String tenant, String service, int minSeverity, String topic) {}
