package io.sluice.collector.config;

import java.util.List;

/**
 * One tenant (key {@code tenants.<name>}): how it proves who it is and what it may do. Part of the dynamic
 * configuration, reloaded without a restart.
 *
 * @param name the tenant id written to every record's {@code sluice.tenant} header
 * @param apiKeySha256 lowercase hex SHA-256 digests of its API keys ({@code apiKeys}, each written as
 *     {@code sha256:<hex>}); the keys themselves are never stored
 * @param mtlsSubjects client-certificate CNs or SANs (DNS, URI, email) that authenticate as this tenant
 * @param topics topic globs ({@code *} = any run of characters) it may write to; empty = whatever the routes give
 * @param limit its rate limit, or null for {@code limits.tenantDefault}
 */
public record TenantConfig(String name, List<String> apiKeySha256, List<String> mtlsSubjects, List<String> topics,
    RateLimit limit) {
  public TenantConfig {
    apiKeySha256 = List.copyOf(apiKeySha256);
    mtlsSubjects = List.copyOf(mtlsSubjects);
    topics = List.copyOf(topics);
  }
}
