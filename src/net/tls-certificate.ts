import { X509Certificate, randomBytes, webcrypto } from "node:crypto";
import { mkdir, readFile, writeFile, rename } from "node:fs/promises";
import { join } from "node:path";

export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
  /** SHA-256 fingerprint as colon-separated hex, what clients pin. */
  readonly fingerprint: string;
  /** True when this start made the certificate. */
  readonly generated: boolean;
}

export interface TlsSource {
  readonly certFile: string;
  readonly keyFile: string;
  readonly dataDir: string;
  readonly serverName: string;
}

/**
 * Loads the configured certificate, or the self-signed one kept in <dataDir>/tls,
 * making it on first start. Generation uses WebCrypto so no openssl binary is needed.
 */
export async function loadTlsMaterial(source: TlsSource): Promise<TlsMaterial> {
  if (source.certFile || source.keyFile) {
    if (!source.certFile || !source.keyFile) throw new Error("tls.certFile and tls.keyFile must be set together");
    const [cert, key] = await Promise.all([readFile(source.certFile, "utf8"), readFile(source.keyFile, "utf8")]);
    return { cert, key, fingerprint: fingerprintOf(cert), generated: false };
  }
  const dir = join(source.dataDir, "tls");
  const certPath = join(dir, "self-signed.crt");
  const keyPath = join(dir, "self-signed.key");
  try {
    const [cert, key] = await Promise.all([readFile(certPath, "utf8"), readFile(keyPath, "utf8")]);
    return { cert, key, fingerprint: fingerprintOf(cert), generated: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const made = await generateSelfSigned(source.serverName);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Write then rename, so a crash never leaves a half-written key that blocks the next start.
  await writeFile(`${keyPath}.tmp`, made.key, { mode: 0o600 });
  await writeFile(`${certPath}.tmp`, made.cert, { mode: 0o644 });
  await rename(`${keyPath}.tmp`, keyPath);
  await rename(`${certPath}.tmp`, certPath);
  return { ...made, fingerprint: fingerprintOf(made.cert), generated: true };
}

export function fingerprintOf(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}

async function generateSelfSigned(serverName: string): Promise<{ cert: string; key: string }> {
  // Loaded here, not at the top: @peculiar/x509 and its ASN.1 stack take about as long to
  // load as the rest of the server, and only a first start without a certificate needs them.
  // It resolves its services through tsyringe, which needs the reflect-metadata polyfill first.
  await import("reflect-metadata");
  const x509 = await import("@peculiar/x509");
  const crypto = webcrypto;
  x509.cryptoProvider.set(crypto as unknown as Parameters<typeof x509.cryptoProvider.set>[1]);
  const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = await crypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(16).toString("hex").replace(/^[89a-f]/, "1"),
    name: `CN=${serverName}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 825 * 24 * 3600_000),
    signingAlgorithm: algorithm,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: "dns", value: serverName },
        { type: "dns", value: "localhost" },
        { type: "ip", value: "127.0.0.1" },
        { type: "ip", value: "::1" },
      ]),
    ],
  });
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
  const key = x509.PemConverter.encode(pkcs8, "PRIVATE KEY");
  return { cert: certificate.toString("pem"), key };
}
