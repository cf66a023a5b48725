import { X509Certificate, randomBytes, webcrypto } from "node:crypto";
import { mkdir, readFile, writeFile, rename } from "node:fs/promises";
import { join } from "node:path";
import type { SharedSecrets } from "../cluster/shared-secrets.js";

export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
  /** SHA-256 fingerprint as colon-separated hex, what clients pin. */
  readonly fingerprint: string;
  /** SHA-1 fingerprint, the one some clients still show to compare (lftp). */
  readonly fingerprintSha1: string;
  /** True when this start made the certificate. */
  readonly generated: boolean;
  /** Where it came from: the configured files, <dataDir>/tls, or the database (TLS_SOURCE_IN_DATABASE). */
  readonly source: string;
}

/** The generated certificate's files in <dataDir>/tls (one node). */
const CERT_FILE = "self-signed.crt";
const KEY_FILE = "self-signed.key";

/** The server_secrets name of the generated certificate in a cluster: JSON `{"cert", "key"}`, both PEM, one row so the pair is never split. */
export const TLS_CERTIFICATE_SECRET = "tls-self-signed";

/** `TlsMaterial.source` of a certificate kept in the database. */
export const TLS_SOURCE_IN_DATABASE = `database (server_secrets ${TLS_CERTIFICATE_SECRET})`;

export interface TlsSource {
  readonly certFile: string;
  readonly keyFile: string;
  readonly dataDir: string;
  readonly serverName: string;
  /**
   * In a cluster: the server secrets, where the generated certificate is kept instead
   * of <dataDir>/tls so every node presents the same one (one fingerprint to pin). Null: the files.
   */
  readonly shared?: SharedSecrets | null;
}

/**
 * Loads the configured certificate, or the self-signed one kept in <dataDir>/tls (in a
 * cluster: in the database), making it on first start. Generation uses WebCrypto so no
 * openssl binary is needed.
 */
export async function loadTlsMaterial(source: TlsSource): Promise<TlsMaterial> {
  if (source.certFile || source.keyFile) {
    if (!source.certFile || !source.keyFile) throw new Error("tls.certFile and tls.keyFile must be set together");
    const [cert, key] = await Promise.all([readFile(source.certFile, "utf8"), readFile(source.keyFile, "utf8")]);
    return { cert, key, ...fingerprintsOf(cert), generated: false, source: source.certFile };
  }
  const dir = join(source.dataDir, "tls");
  if (source.shared) return loadShared(source.shared, dir, source.serverName);
  const own = await readOwn(dir);
  if (own) return { ...own, ...fingerprintsOf(own.cert), generated: false, source: dir };
  const made = await generateSelfSigned(source.serverName);
  const certPath = join(dir, CERT_FILE);
  const keyPath = join(dir, KEY_FILE);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Write then rename, so a crash never leaves a half-written key that blocks the next start.
  await writeFile(`${keyPath}.tmp`, made.key, { mode: 0o600 });
  await writeFile(`${certPath}.tmp`, made.cert, { mode: 0o644 });
  await rename(`${keyPath}.tmp`, keyPath);
  await rename(`${certPath}.tmp`, certPath);
  return { ...made, ...fingerprintsOf(made.cert), generated: true, source: dir };
}

/** The certificate and key made earlier in `dir`, or null when there are none. */
async function readOwn(dir: string): Promise<{ cert: string; key: string } | null> {
  try {
    const [cert, key] = await Promise.all([readFile(join(dir, CERT_FILE), "utf8"), readFile(join(dir, KEY_FILE), "utf8")]);
    return { cert, key };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    return null;
  }
}

/**
 * The cluster's certificate from the server secrets, stored on the first start of the
 * first node. A node that already had a certificate of its own in `dir` (a single server
 * turned into the cluster's first node) offers that one, so the fingerprint clients
 * pinned stays valid.
 */
async function loadShared(shared: SharedSecrets, dir: string, serverName: string): Promise<TlsMaterial> {
  // Set by make() when this start generated the certificate (for the log), read after getOrCreate.
  const made: { cert?: string } = {};
  const stored = await shared.getOrCreate(TLS_CERTIFICATE_SECRET, async () => {
    let pair = await readOwn(dir);
    if (!pair) {
      pair = await generateSelfSigned(serverName);
      made.cert = pair.cert;
    }
    return Buffer.from(JSON.stringify(pair), "utf8");
  });
  const { cert, key } = parseStoredPair(stored);
  return { cert, key, ...fingerprintsOf(cert), generated: made.cert === cert, source: TLS_SOURCE_IN_DATABASE };
}

function parseStoredPair(stored: Buffer): { cert: string; key: string } {
  const value: unknown = JSON.parse(stored.toString("utf8"));
  const pair = value as { cert?: unknown; key?: unknown } | null;
  if (typeof pair !== "object" || pair === null || typeof pair.cert !== "string" || typeof pair.key !== "string") {
    throw new Error(`${TLS_SOURCE_IN_DATABASE}: not a {"cert", "key"} pair of PEM strings; delete the row to have a new certificate made`);
  }
  return { cert: pair.cert, key: pair.key };
}

export function fingerprintsOf(certPem: string): Pick<TlsMaterial, "fingerprint" | "fingerprintSha1"> {
  const certificate = new X509Certificate(certPem);
  return { fingerprint: certificate.fingerprint256, fingerprintSha1: certificate.fingerprint };
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
