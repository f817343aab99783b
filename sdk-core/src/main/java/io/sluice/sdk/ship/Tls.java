package io.sluice.sdk.ship;

import java.nio.file.Path;

/**
 * TLS towards the collector, as a {@link GrpcShipper} uses it ({@code PipelineConfig}'s {@code tls} keys).
 *
 * @param trustCertPath PEM CA certificate(s) the collector's certificate must chain to; null = the JVM's trust store
 * @param clientCertPath PEM client certificate chain for mTLS, or null
 * @param clientKeyPath PEM PKCS#8 private key of {@code clientCertPath}, or null
 */
public record Tls(Path trustCertPath, Path clientCertPath, Path clientKeyPath) {}
