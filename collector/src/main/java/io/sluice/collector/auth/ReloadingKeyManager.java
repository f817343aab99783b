package io.sluice.collector.auth;

import java.io.IOException;
import java.io.Reader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * The collector's server certificate and key, swappable while it runs: every TLS handshake (gRPC through Netty, the
 * HTTPS listener through the JDK) asks this key manager for the chain and key, so a {@link #swap} applies to the
 * next connection while established ones keep the session they negotiated. Each swap gets a new alias and the
 * previous material is kept, so a handshake that chose its alias just before a swap still finds a matching chain and
 * key. Thread-safe, lock-free reads.
 */
public final class ReloadingKeyManager extends X509ExtendedKeyManager {
  /** One certificate chain and its private key. */
  public record Material(String alias, X509Certificate[] chain, PrivateKey key) {
    public X509Certificate leaf() {
      return chain[0];
    }
  }

  private static final AtomicLong GENERATION = new AtomicLong();
  private volatile Material current;
  private volatile Material previous;

  public ReloadingKeyManager(Material initial) {
    this.current = initial;
  }

  public Material current() {
    return current;
  }

  /** Makes {@code next} the material of new handshakes. */
  public void swap(Material next) {
    previous = current;
    current = next;
  }

  /**
   * Reads a PEM certificate chain and its PEM private key (PKCS#8, or PKCS#1/SEC1 as OpenSSL writes them) and
   * checks that the key belongs to the first certificate.
   *
   * @throws IOException naming the file and the problem; nothing is swapped then
   */
  public static Material load(Path certFile, Path keyFile) throws IOException {
    X509Certificate[] chain;
    try (var in = Files.newInputStream(certFile)) {
      Collection<? extends java.security.cert.Certificate> certs =
          CertificateFactory.getInstance("X.509").generateCertificates(in);
      chain = certs.stream().map(c -> (X509Certificate) c).toArray(X509Certificate[]::new);
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new IOException(certFile + " is not a PEM certificate chain: " + e.getMessage(), e);
    }
    if (chain.length == 0) {
      throw new IOException(certFile + " holds no certificate");
    }
    PrivateKey key = readKey(keyFile);
    if (!matches(key, chain[0].getPublicKey())) {
      throw new IOException(keyFile + " is not the private key of the certificate in " + certFile + " ("
          + chain[0].getSubjectX500Principal() + "); write both files from the same issuance");
    }
    return new Material("sluice-" + GENERATION.incrementAndGet(), chain, key);
  }

  private static PrivateKey readKey(Path keyFile) throws IOException {
    Object o;
    try (Reader r = Files.newBufferedReader(keyFile, StandardCharsets.US_ASCII); PEMParser p = new PEMParser(r)) {
      o = p.readObject();
    } catch (IOException | RuntimeException e) {
      throw new IOException(keyFile + " is not a PEM private key: " + e.getMessage(), e);
    }
    try {
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      if (o instanceof PrivateKeyInfo info) return converter.getPrivateKey(info);
      if (o instanceof PEMKeyPair pair) return converter.getKeyPair(pair).getPrivate();
    } catch (IOException | RuntimeException e) {
      throw new IOException(keyFile + " holds a private key that cannot be used: " + e.getMessage(), e);
    }
    throw new IOException(keyFile + " holds no unencrypted private key (" + (o == null ? "nothing" : o.getClass()
        .getSimpleName()) + "); write a PKCS#8 PEM key (-----BEGIN PRIVATE KEY-----)");
  }

  /** Whether {@code key} signs what {@code pub} verifies. */
  private static boolean matches(PrivateKey key, PublicKey pub) {
    String alg = switch (key.getAlgorithm().toUpperCase(Locale.ROOT)) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "ED25519", "EDDSA" -> "Ed25519";
      default -> null;
    };
    if (alg == null || !key.getAlgorithm().equalsIgnoreCase(pub.getAlgorithm())) {
      return alg == null && key.getAlgorithm().equalsIgnoreCase(pub.getAlgorithm()); // unknown: trust the algorithm
    }
    try {
      byte[] probe = "sluice-key-check".getBytes(StandardCharsets.US_ASCII);
      Signature s = Signature.getInstance(alg);
      s.initSign(key);
      s.update(probe);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg);
      v.initVerify(pub);
      v.update(probe);
      return v.verify(sig);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private String alias(String keyType) {
    Material m = current;
    String alg = m.key().getAlgorithm().toUpperCase(Locale.ROOT);
    String kt = keyType == null ? "" : keyType.toUpperCase(Locale.ROOT);
    boolean ok = kt.startsWith(alg) || (alg.equals("RSA") && kt.equals("RSASSA-PSS"))
        || (alg.equals("ED25519") && kt.equals("EDDSA"));
    return ok ? m.alias() : null;
  }

  private Material byAlias(String alias) {
    Material c = current;
    if (c.alias().equals(alias)) return c;
    Material p = previous;
    return p != null && p.alias().equals(alias) ? p : null;
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return alias(keyType);
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return alias(keyType);
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    String a = alias(keyType);
    return a == null ? null : new String[] {a};
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    Material m = byAlias(alias);
    return m == null ? null : m.chain().clone();
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    Material m = byAlias(alias);
    return m == null ? null : m.key();
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return null;
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return null;
  }
}
