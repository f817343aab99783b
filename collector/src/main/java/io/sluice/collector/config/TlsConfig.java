package io.sluice.collector.config;

import java.nio.file.Path;

/**
 * TLS on the gRPC and HTTP listeners (key {@code tls}). PEM files: a certificate chain and a PKCS#8 key; with
 * {@code clientCaFile} the collector asks for client certificates (mTLS) and maps them to tenants
 * ({@code tenants.*.mtlsSubjects}).
 *
 * @param certFile server certificate chain (PEM)
 * @param keyFile server private key (PKCS#8 PEM)
 * @param clientCaFile CA bundle that signs client certificates, or null for no mTLS
 * @param requireClientCert true: refuse handshakes without a client certificate; false: optional
 */
public record TlsConfig(Path certFile, Path keyFile, Path clientCaFile, boolean requireClientCert) {}
