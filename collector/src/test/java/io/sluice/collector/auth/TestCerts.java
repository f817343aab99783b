package io.sluice.collector.auth;

import java.io.IOException;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A throwaway CA and the certificates it signs, written as PEM files (keys in PKCS#8), made with BouncyCastle. */
public final class TestCerts {
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  public final KeyPair caKey;
  public final X509Certificate ca;
  private final Path dir;

  public TestCerts(Path dir) throws Exception {
    this.dir = dir;
    caKey = rsa();
    ca = sign("CN=sluice-test-ca", caKey, caKey, "CN=sluice-test-ca", true, null);
    pem(dir.resolve("ca.pem"), ca);
  }

  /** Writes {@code name}.pem and {@code name}.key (PKCS#8) for a leaf with the given CN and optional SAN. */
  public Path[] issue(String name, String cn, GeneralName san) throws Exception {
    KeyPair key = rsa();
    X509Certificate cert = sign("CN=" + cn, key, caKey, "CN=sluice-test-ca", false, san);
    Path certFile = dir.resolve(name + ".pem");
    Path keyFile = dir.resolve(name + ".key");
    pem(certFile, cert);
    try (Writer w = Files.newBufferedWriter(keyFile); JcaPEMWriter pw = new JcaPEMWriter(w)) {
      pw.writeObject(new JcaPKCS8Generator(key.getPrivate(), null));
    }
    return new Path[] {certFile, keyFile};
  }

  public Path caFile() {
    return dir.resolve("ca.pem");
  }

  private static KeyPair rsa() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    return g.generateKeyPair();
  }

  private static X509Certificate sign(String subject, KeyPair key, KeyPair issuerKey, String issuer, boolean isCa,
      GeneralName san) throws Exception {
    long now = System.currentTimeMillis();
    JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new X500Name(issuer),
        BigInteger.valueOf(SERIAL.incrementAndGet()), new Date(now - 60_000), new Date(now + 86_400_000L),
        new X500Name(subject), key.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
    if (san != null) {
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(san));
    }
    return new JcaX509CertificateConverter().getCertificate(
        b.build(new JcaContentSignerBuilder("SHA256withRSA").build(issuerKey.getPrivate())));
  }

  private static void pem(Path file, Object o) throws IOException {
    try (Writer w = Files.newBufferedWriter(file); JcaPEMWriter pw = new JcaPEMWriter(w)) {
      pw.writeObject(o);
    }
  }
}
