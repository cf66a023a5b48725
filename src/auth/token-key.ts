import { createPrivateKey, createPublicKey, generateKeyPair as generateKeyPairCallback, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { importPKCS8, importSPKI, type CryptoKey } from "jose";
import type { SharedSecrets } from "../cluster/shared-secrets.js";

const generateKeyPair = promisify(generateKeyPairCallback);

/** The Ed25519 key pair that signs and verifies access tokens. */
export interface TokenKey {
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  /** SPKI PEM of the public key, for logs and for whoever verifies tokens elsewhere. */
  readonly publicKeyPem: string;
  /** Where the private key came from: a file, or the database (see TOKEN_KEY_SOURCE_IN_DATABASE). */
  readonly path: string;
  /** True when this start made the key. */
  readonly generated: boolean;
}

export interface TokenKeySource {
  /** A configured PEM (PKCS#8) Ed25519 private key; empty = the generated one in the data directory. */
  readonly keyFile: string;
  readonly dataDir: string;
  /**
   * In a cluster: the server secrets, where the generated key is kept instead of
   * <dataDir>/keys so every node signs and verifies with the same key. Null: the file.
   */
  readonly shared?: SharedSecrets | null;
}

export const GENERATED_KEY_FILE = join("keys", "jwt-ed25519.pem");

/** The server_secrets name of the generated key in a cluster (its PKCS#8 PEM). */
export const TOKEN_KEY_SECRET = "jwt-ed25519-private-key";

/** `TokenKey.path` of a key kept in the database. */
export const TOKEN_KEY_SOURCE_IN_DATABASE = `database (server_secrets ${TOKEN_KEY_SECRET})`;

/**
 * Loads the configured signing key, or the one kept in <dataDir>/keys (in a cluster:
 * in the database), making it on first start. Only Ed25519 is accepted: the verifier pins EdDSA, so any other key
 * type would make every token unverifiable, and that is better found at start.
 */
export async function loadTokenKey(source: TokenKeySource): Promise<TokenKey> {
  if (source.keyFile) return fromPem(await readFile(source.keyFile, "utf8"), source.keyFile, false);
  if (source.shared) return loadSharedKey(source.shared, join(source.dataDir, GENERATED_KEY_FILE));
  const path = join(source.dataDir, GENERATED_KEY_FILE);
  try {
    return await fromPem(await readFile(path, "utf8"), path, false);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const pem = await newKeyPem();
  await mkdir(join(source.dataDir, "keys"), { recursive: true, mode: 0o700 });
  // Write then rename, so a crash never leaves a half-written key that blocks the next start;
  // the random suffix keeps two nodes starting on one shared volume from mixing their halves.
  const temporary = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    await writeFile(temporary, pem, { mode: 0o600, flag: "wx" });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return fromPem(pem, path, true);
}

async function newKeyPem(): Promise<string> {
  const { privateKey } = await generateKeyPair("ed25519");
  return privateKey.export({ type: "pkcs8", format: "pem" }).toString();
}

/**
 * The cluster's key from the server secrets, stored on the first start of the first
 * node. A node that already had a key of its own in `filePath` (a single server turned
 * into the cluster's first node) offers that one, so the tokens it signed stay valid.
 */
async function loadSharedKey(shared: SharedSecrets, filePath: string): Promise<TokenKey> {
  // Set by make() when this start generated the key (for the log), read after getOrCreate.
  const made: { pem?: string } = {};
  const stored = await shared.getOrCreate(TOKEN_KEY_SECRET, async () => {
    const own = await readFile(filePath, "utf8").catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return null;
      throw error;
    });
    if (own !== null) return Buffer.from(own, "utf8");
    made.pem = await newKeyPem();
    return Buffer.from(made.pem, "utf8");
  });
  const pem = stored.toString("utf8");
  return fromPem(pem, TOKEN_KEY_SOURCE_IN_DATABASE, made.pem === pem);
}

async function fromPem(pem: string, path: string, generated: boolean): Promise<TokenKey> {
  let keyObject;
  try {
    keyObject = createPrivateKey(pem);
  } catch (error) {
    throw new Error(`${path}: not a PEM private key (${(error as Error).message})`);
  }
  if (keyObject.asymmetricKeyType !== "ed25519") {
    throw new Error(`${path}: the access-token key must be Ed25519 (found ${keyObject.asymmetricKeyType ?? "unknown"}); leave http.jwtKeyFile empty to have one made`);
  }
  const pkcs8 = keyObject.export({ type: "pkcs8", format: "pem" }).toString();
  const publicKeyPem = createPublicKey(keyObject).export({ type: "spki", format: "pem" }).toString();
  const [privateKey, publicKey] = await Promise.all([importPKCS8(pkcs8, "EdDSA"), importSPKI(publicKeyPem, "EdDSA")]);
  return { privateKey, publicKey, publicKeyPem, path, generated };
}
