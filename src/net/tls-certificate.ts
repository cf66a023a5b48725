import { X509Certificate, createPrivateKey, randomBytes, webcrypto, type KeyObject } from "node:crypto";
import { mkdir, readFile, writeFile, rename } from "node:fs/promises";
import { join } from "node:path";
import tls, { type SecureContextOptions } from "node:tls";
import type { SharedSecrets } from "../cluster/shared-secrets.js";
import { ConfigError } from "../config/load.js";

export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
  /** SHA-256 fingerprint as colon-separated hex, what clients pin. */
  readonly fingerprint: string;
  /** SHA-1 fingerprint, the one some clients still show to compare (lftp). */
  readonly fingerprintSha1: string;
  /** When the certificate stops being valid (its notAfter). */
  readonly notAfter: Date;
  /** True when this start made the certificate. */
  readonly generated: boolean;
  /** True when it comes from tls.certFile and tls.keyFile (false: the server's own, self-signed). */
  readonly configured: boolean;
  /**
   * The end of the server's own certificate this start replaced because it had expired or was
   * about to (within EXPIRY_WARNING_DAYS); null when nothing was replaced.
   */
  readonly replacedExpiring: Date | null;
  /** Where it came from: the configured files, <dataDir>/tls, or the database (TLS_SOURCE_IN_DATABASE). */
  readonly source: string;
}

/** A certificate that ends within this many days is warned of (and the server's own is made anew at start). */
export const EXPIRY_WARNING_DAYS = 14;

/**
 * The TLS 1.2 suites every TLS door offers: Mozilla's "intermediate" list without the DHE
 * ones, i.e. forward-secret key exchange (ECDHE) with an AEAD cipher (AES-GCM,
 * CHACHA20-POLY1305) only, for ECDSA and RSA certificates alike. TLS 1.3's suites are
 * Node's defaults, as before (they are all forward-secret AEAD).
 */
const TLS12_CIPHERS = [
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
];
const TLS13_SUITES = tls.DEFAULT_CIPHERS.split(":").filter((suite) => suite.startsWith("TLS_"));

/** What every server-side TLS context starts from (IRC over TLS, FTPS, and any later TLS door). */
export const SERVER_TLS: Readonly<SecureContextOptions> = Object.freeze({ minVersion: "TLSv1.2", ciphers: [...TLS13_SUITES, ...TLS12_CIPHERS].join(":") });

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
 * cluster: in the database), making it on first start, and again when the one made
 * earlier in <dataDir>/tls has expired or ends within EXPIRY_WARNING_DAYS. Generation uses
 * WebCrypto so no openssl binary is needed. A configured file that cannot be used throws
 * a ConfigError naming the setting and the file.
 */
export async function loadTlsMaterial(source: TlsSource): Promise<TlsMaterial> {
  if (source.certFile || source.keyFile) return loadConfiguredTls(source);
  const dir = join(source.dataDir, "tls");
  if (source.shared) return loadShared(source.shared, dir, source.serverName);
  const own = await readOwn(dir);
  // Made for 825 days and never renewed by anything else: near its end, the next start makes a new one.
  const ownInfo = own ? describe(own.cert) : null;
  if (own && ownInfo && !expiresSoon(ownInfo.notAfter)) return { ...own, ...ownInfo, generated: false, configured: false, replacedExpiring: null, source: dir };
  const made = await generateSelfSigned(source.serverName);
  const certPath = join(dir, CERT_FILE);
  const keyPath = join(dir, KEY_FILE);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Write then rename, so a crash never leaves a half-written key that blocks the next start.
  await writeFile(`${keyPath}.tmp`, made.key, { mode: 0o600 });
  await writeFile(`${certPath}.tmp`, made.cert, { mode: 0o644 });
  await rename(`${keyPath}.tmp`, keyPath);
  await rename(`${certPath}.tmp`, certPath);
  return { ...made, ...describe(made.cert), generated: true, configured: false, replacedExpiring: ownInfo?.notAfter ?? null, source: dir };
}

/** Whether a certificate ending at `notAfter` has expired or ends within EXPIRY_WARNING_DAYS of `now`. */
export function expiresSoon(notAfter: Date, now = Date.now()): boolean {
  return notAfter.getTime() - now < EXPIRY_WARNING_DAYS * 24 * 3600_000;
}

/** The setting each file comes from, as an operator finds it (the file's key, then its variable). */
const CERT_SETTING = "tls.certFile (CMY_TLS_CERT)";
const KEY_SETTING = "tls.keyFile (CMY_TLS_KEY)";

/**
 * tls.certFile and tls.keyFile, checked to be a certificate and its own private key, both
 * PEM, that OpenSSL takes for a server: what is wrong is a ConfigError that names the
 * setting and the file, at start (exit status 2) as at a reload (nothing changes).
 * Without the check, a key of another type than the certificate's (an RSA certificate with
 * an EC key) is accepted by OpenSSL and every handshake then fails.
 */
export async function loadConfiguredTls(files: Pick<TlsSource, "certFile" | "keyFile">): Promise<TlsMaterial> {
  const { certFile, keyFile } = files;
  if (!certFile || !keyFile) throw new ConfigError("tls.certFile and tls.keyFile (CMY_TLS_CERT, CMY_TLS_KEY) must be set together");
  const [cert, key] = await Promise.all([readSetting(CERT_SETTING, certFile), readSetting(KEY_SETTING, keyFile)]);
  let certificate: X509Certificate;
  try {
    if (!cert.includes("-----BEGIN CERTIFICATE-----")) throw new Error("no -----BEGIN CERTIFICATE----- line");
    certificate = new X509Certificate(cert);
  } catch (error) {
    throw new ConfigError(`${CERT_SETTING}: ${certFile} holds no PEM certificate (${(error as Error).message})`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (error) {
    if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(key)) {
      throw new ConfigError(`${KEY_SETTING}: ${keyFile} is encrypted with a passphrase, which the server cannot ask for; store it unencrypted (openssl pkey -in <file> -out <new file>) and readable only by the server`);
    }
    const why = /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key) ? (error as Error).message : "no -----BEGIN PRIVATE KEY----- line";
    throw new ConfigError(`${KEY_SETTING}: ${keyFile} holds no PEM private key (${why})`);
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    const certType = certificate.publicKey.asymmetricKeyType ?? "unknown";
    const keyType = privateKey.asymmetricKeyType ?? "unknown";
    throw new ConfigError(
      certType === keyType
        ? `${KEY_SETTING}: ${keyFile} is not the private key of the certificate in tls.certFile (${certFile}): set the key the certificate was made for`
        : `${KEY_SETTING}: ${keyFile} holds ${keyKind(keyType)} key, but the certificate in tls.certFile (${certFile}) is for ${keyKind(certType)} key: set the key the certificate was made for`,
    );
  }
  try {
    // What the listeners will do with them: a certificate OpenSSL refuses (a key too small for its security level) fails here, not at each handshake.
    tls.createSecureContext({ ...SERVER_TLS, cert, key });
  } catch (error) {
    throw new ConfigError(`${CERT_SETTING} and ${KEY_SETTING}: OpenSSL refuses ${certFile} with ${keyFile}: ${(error as Error).message}`);
  }
  return { cert, key, ...describe(cert), generated: false, configured: true, replacedExpiring: null, source: certFile };
}

/** "an RSA", "an EC", "an ed25519"… for the messages above. */
function keyKind(type: string): string {
  const name = ["rsa", "ec", "dsa", "dh"].includes(type) ? type.toUpperCase() : type;
  return `${/^[aeiouAEIOU]|^RSA$/.test(name) ? "an" : "a"} ${name}`;
}

/** The text of a configured file; what keeps it from being read, named with the setting. */
async function readSetting(setting: string, file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied to the server's user" : code === "EISDIR" ? "a directory, not a file" : (code ?? (error as Error).message);
    throw new ConfigError(`${setting}: cannot read ${file}: ${why}`);
  }
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
  // Never made anew here: another node may be presenting it. The server warns when it ends soon (docs/operations.md).
  return { cert, key, ...describe(cert), generated: made.cert === cert, configured: false, replacedExpiring: null, source: TLS_SOURCE_IN_DATABASE };
}

function parseStoredPair(stored: Buffer): { cert: string; key: string } {
  const value: unknown = JSON.parse(stored.toString("utf8"));
  const pair = value as { cert?: unknown; key?: unknown } | null;
  if (typeof pair !== "object" || pair === null || typeof pair.cert !== "string" || typeof pair.key !== "string") {
    throw new Error(`${TLS_SOURCE_IN_DATABASE}: not a {"cert", "key"} pair of PEM strings; delete the row to have a new certificate made`);
  }
  return { cert: pair.cert, key: pair.key };
}

/** The fingerprints and the end of a PEM certificate (the first, when it is a chain). */
function describe(certPem: string): Pick<TlsMaterial, "fingerprint" | "fingerprintSha1" | "notAfter"> {
  const certificate = new X509Certificate(certPem);
  return { fingerprint: certificate.fingerprint256, fingerprintSha1: certificate.fingerprint, notAfter: new Date(certificate.validTo) };
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
