/**
 * The FTP servers under test and what they serve: a work directory (on tmpfs when
 * it has room) holding the random test files, a self-signed certificate for FTPS,
 * and one directory per server start; our server from dist/ with one account, and
 * vsftpd in the foreground with a local Unix user made for the benchmark.
 */
import { execFileSync } from "node:child_process";
import { randomBytes, randomFillSync } from "node:crypto";
import { chmodSync, chownSync, closeSync, copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, openSync, readFileSync, statfsSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { descendantPids } from "./proc.js";
import { freePort, launch, OUR_ENTRY, REPO_ROOT, type ServerHandle } from "./servers.js";

export const VSFTPD = "/usr/sbin/vsftpd";
/** The account on our server and the Unix user for vsftpd. */
export const FTP_USER = "cmybench";
/** Passive data ports of both servers: below Linux's ephemeral range (32768–60999), so no client port is in it. */
export const PASSIVE_PORTS = { min: 20000, max: 29999 } as const;
/** Names of the test files in every server's directory. */
export const BIG_FILE = "big.bin";
export const UPLOAD_FILE = "upload.bin";
export function smallFileName(index: number): string {
  return `small-${String(index).padStart(4, "0")}.bin`;
}

export type FtpServerName = "ours" | "vsftpd";

export interface FtpServerHandle extends ServerHandle {
  readonly kind: FtpServerName;
  /** The directory the FTP user sees as "/". */
  readonly root: string;
  readonly tls: boolean;
  /** Processes below `pid` while no session is open (vsftpd: the listener below the subreaper; ours: none). */
  readonly idleDescendants: number;
}

export interface FtpWorkspace {
  readonly dir: string;
  /** Where the work directory is, with its file system type and device (findmnt), e.g. "/var/tmp (ext4 on /dev/vda)". */
  readonly filesystem: string;
  readonly password: string;
  readonly bigFile: string | null;
  readonly bigBytes: number;
  readonly smallDir: string | null;
  readonly smallCount: number;
  readonly smallBytes: number;
  readonly certFile: string | null;
  readonly keyFile: string | null;
}

export interface WorkspaceOptions {
  /** Size of the STOR/RETR file; 0 = none needed. */
  readonly bigBytes: number;
  /** Number and size of the ftp-many files; 0 = none needed. */
  readonly smallCount: number;
  readonly smallBytes: number;
  readonly tls: boolean;
  /** Parent directory (made if missing: --files-dir); default /dev/shm when it has room, else the system temporary directory. */
  readonly parent?: string;
}

function freeBytes(dir: string): number {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return 0;
  }
}

function writeRandomFile(file: string, bytes: number): void {
  const fd = openSync(file, "w", 0o644);
  try {
    const chunk = Buffer.allocUnsafe(Math.min(bytes, 1 << 20));
    for (let left = bytes; left > 0; ) {
      const n = Math.min(left, chunk.length);
      randomFillSync(chunk, 0, n);
      writeSync(fd, chunk, 0, n);
      left -= n;
    }
  } finally {
    closeSync(fd);
  }
  chmodSync(file, 0o644);
}

/**
 * Makes the work directory and the files every server start links to: one random file
 * for STOR/RETR, the small files for ftp-many, and a certificate (openssl) for FTPS.
 * Both servers keep their files (and uploads) on this same file system.
 */
export function makeFtpWorkspace(options: WorkspaceOptions): FtpWorkspace {
  // Room for the source, one copy per server and an upload in flight, plus slack.
  const needed = 4 * options.bigBytes + 2 * options.smallCount * options.smallBytes + 256 * 1024 * 1024;
  const parent = options.parent ?? (existsSync("/dev/shm") && freeBytes("/dev/shm") >= needed ? "/dev/shm" : tmpdir());
  // 0o755: vsftpd's session processes run as the benchmark user and must reach their directory below it.
  if (!existsSync(parent)) mkdirSync(parent, { recursive: true, mode: 0o755 });
  if (freeBytes(parent) < needed) throw new Error(`${parent} has ${Math.round(freeBytes(parent) / 2 ** 20)} MiB free; the FTP benchmark needs about ${Math.round(needed / 2 ** 20)} MiB`);
  const dir = mkdtempSync(join(parent, "cmy-ftp-bench-"));
  // vsftpd's session processes run as the benchmark user and must reach their directory.
  chmodSync(dir, 0o755);
  let bigFile: string | null = null;
  if (options.bigBytes > 0) {
    bigFile = join(dir, BIG_FILE);
    writeRandomFile(bigFile, options.bigBytes);
  }
  let smallDir: string | null = null;
  if (options.smallCount > 0) {
    smallDir = join(dir, "small");
    mkdirSync(smallDir, { mode: 0o755 });
    for (let i = 0; i < options.smallCount; i++) writeRandomFile(join(smallDir, smallFileName(i)), options.smallBytes);
  }
  let certFile: string | null = null;
  let keyFile: string | null = null;
  if (options.tls) {
    certFile = join(dir, "cert.pem");
    keyFile = join(dir, "key.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "7", "-subj", "/CN=127.0.0.1"], { stdio: "ignore" });
  }
  const filesystem = `${parent} (${mountOf(parent)})`;
  return {
    dir,
    filesystem,
    // The policy of our server wants 8+ bytes and not a common password.
    password: `Bench-${randomBytes(12).toString("hex")}`,
    bigFile,
    bigBytes: options.bigBytes,
    smallDir,
    smallCount: options.smallCount,
    smallBytes: options.smallBytes,
    certFile,
    keyFile,
  };
}

/** The file system type and device mounted where `dir` is ("ext4 on /dev/vda", "tmpfs on tmpfs"), from findmnt; `stat -f` cannot tell ext4 from ext2. */
function mountOf(dir: string): string {
  try {
    const [type = "?", source = "?"] = execFileSync("findmnt", ["-n", "-o", "FSTYPE,SOURCE", "--target", dir], { encoding: "utf8" }).trim().split(/\s+/);
    return `${type} on ${source}`;
  } catch {
    return "unknown file system";
  }
}

/** Hard links (or copies, across file systems) the workspace's files into a server's directory. */
function populate(ws: FtpWorkspace, root: string): void {
  const place = (from: string, to: string): void => {
    try {
      linkSync(from, to);
    } catch {
      copyFileSync(from, to);
    }
  };
  if (ws.bigFile) place(ws.bigFile, join(root, BIG_FILE));
  if (ws.smallDir) for (let i = 0; i < ws.smallCount; i++) place(join(ws.smallDir, smallFileName(i)), join(root, smallFileName(i)));
}

/** The prctl system call number for subreaper.pl. */
function sysPrctl(): number {
  switch (process.arch) {
    case "x64":
      return 157;
    case "arm64":
    case "riscv64":
      return 167;
    default:
      throw new Error(`no prctl system call number known for ${process.arch}: add it to bench/lib/ftp-servers.ts`);
  }
}

// ── the Unix user of vsftpd ───────────────────────────────────────────────────

function userExists(name: string): boolean {
  try {
    execFileSync("id", ["-u", name], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes (once) the local user vsftpd logs in, and sets its password for this run.
 * Its home is "/" because vsftpd changes into the home directory before it changes
 * into `local_root` (a home that does not exist fails the login with 500 OOPS); the
 * shell is /bin/bash because vsftpd's PAM stack (pam_shells) wants one from /etc/shells.
 * Needs root (useradd, chpasswd).
 */
export function prepareFtpUser(password: string): void {
  if (process.getuid?.() !== 0) throw new Error("vsftpd needs root: run the benchmark as root, or use --target ours");
  if (!userExists(FTP_USER)) {
    execFileSync("useradd", ["--system", "--no-create-home", "--home-dir", "/", "--shell", "/bin/bash", "--comment", "CmyMessage FTP benchmark", FTP_USER], { stdio: "pipe" });
  }
  const entry = execFileSync("getent", ["passwd", FTP_USER], { encoding: "utf8" }).trim().split(":");
  const home = entry[5] ?? "";
  if (!existsSync(home)) throw new Error(`the home directory of ${FTP_USER} (${home}) does not exist, so vsftpd cannot log it in: usermod -d / ${FTP_USER}`);
  execFileSync("chpasswd", { input: `${FTP_USER}:${password}\n`, stdio: ["pipe", "ignore", "pipe"] });
}

/** Locks the benchmark user's password again (the next run sets a new one). */
export function lockFtpUser(): void {
  try {
    if (userExists(FTP_USER)) execFileSync("usermod", ["-L", FTP_USER], { stdio: "ignore" });
  } catch {
    // Best effort.
  }
}

function userIds(name: string): { uid: number; gid: number } {
  const entry = execFileSync("getent", ["passwd", name], { encoding: "utf8" }).trim().split(":");
  return { uid: Number(entry[2]), gid: Number(entry[3]) };
}

// ── starting the servers ──────────────────────────────────────────────────────

export interface FtpStartOptions {
  readonly cpu: number | null;
  readonly tls: boolean;
  /** Directory for `node --cpu-prof` (ours only); no profiling when undefined. */
  readonly cpuProfileDir?: string;
  /** Our server's entry point (ours only); default dist/cli/main.js. Another build (a patched copy of dist/) can be measured this way. */
  readonly entry?: string;
}

/** Waits until the server has no session processes left (vsftpd forks per session), at most `maxMs`; false on time-out. */
export async function waitIdle(server: FtpServerHandle, maxMs = 5000): Promise<boolean> {
  const deadline = Date.now() + maxMs;
  while (descendantPids(server.pid).length > server.idleDescendants) {
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

async function settle(handle: ServerHandle, expected: number): Promise<number> {
  // launch() probed the port with one connection; let vsftpd's session for it end.
  const deadline = Date.now() + 3000;
  while (descendantPids(handle.pid).length > expected && Date.now() < deadline) await sleep(20);
  return descendantPids(handle.pid).length;
}

/**
 * Our server from dist/: FTP only (no IRC, no HTTP), the benchmark account made
 * with `cmymessage user add` first, quotas far above the test sizes, plain FTP
 * allowed (`ftp.tls: optional`) or, for the TLS runs, TLS required of everyone.
 */
export async function startOursFtp(ws: FtpWorkspace, baseDir: string, options: FtpStartOptions): Promise<FtpServerHandle> {
  const entry = options.entry ?? OUR_ENTRY;
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build`);
  const dir = mkdtempSync(join(baseDir, "ours-"));
  chmodSync(dir, 0o755);
  const dataDir = join(dir, "data");
  const root = join(dataDir, "files", FTP_USER);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  populate(ws, root);
  // Argument array, no shell; the data directory from CMY_DATA_DIR.
  execFileSync(process.execPath, [entry, "user", "add", FTP_USER, "--password", ws.password], {
    cwd: dir,
    env: { ...process.env, CMY_DATA_DIR: dataDir, CMY_LOG_LEVEL: "warn" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const port = await freePort();
  const config = {
    dataDir,
    log: { level: "warn", format: "json" },
    limits: { connectionsPerIp: 20000, maxConnections: 20000 },
    http: { listen: [] },
    irc: { listen: [], tlsListen: [] },
    ...(options.tls && { tls: { certFile: ws.certFile, keyFile: ws.keyFile } }),
    files: { quotaBytes: 64 * 1024 ** 3, quotaFiles: 0, maxFileBytes: 16 * 1024 ** 3 },
    ftp: {
      listen: [`127.0.0.1:${port}`],
      tls: options.tls ? "required" : "optional",
      trustLoopback: !options.tls,
      passivePortMin: PASSIVE_PORTS.min,
      passivePortMax: PASSIVE_PORTS.max,
      dataTimeoutSeconds: 120,
      idleTimeoutSeconds: 600,
    },
  };
  const configFile = join(dir, "cmymessage.yaml");
  // JSON is YAML.
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  const nodeArgs = options.cpuProfileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfileDir}`];
  const handle = await launch("ours", process.execPath, [...nodeArgs, entry, "serve", "--config", configFile], port, dir, options.cpu);
  return { ...handle, stop: handle.stop.bind(handle), kind: "ours", root, tls: options.tls, idleDescendants: await settle(handle, 0) };
}

/**
 * vsftpd in the foreground (`background=NO`) with a generated configuration, under
 * bench/lib/subreaper.pl so the CPU of its per-session processes can be read after
 * they exit (see processTreeCpuMicros). The user is chrooted into its own directory
 * (`local_root`, `chroot_local_user`); TLS like ours in the TLS runs: required for
 * logins and data, the same certificate, session reuse not demanded
 * (`require_ssl_reuse=NO`), ciphers `HIGH` (vsftpd's default list is DES-CBC3-SHA).
 * Everything else is vsftpd's default, including `use_sendfile=YES` for plain RETR.
 */
export async function startVsftpd(ws: FtpWorkspace, baseDir: string, options: FtpStartOptions): Promise<FtpServerHandle> {
  if (!existsSync(VSFTPD)) throw new Error(`${VSFTPD} is missing (apt-get install vsftpd)`);
  const dir = mkdtempSync(join(baseDir, "vsftpd-"));
  chmodSync(dir, 0o755);
  const root = join(dir, "root");
  mkdirSync(root, { mode: 0o755 });
  const { uid, gid } = userIds(FTP_USER);
  chownSync(root, uid, gid);
  populate(ws, root);
  // The empty, root-owned directory vsftpd chroots its unprivileged helper into.
  const empty = join(dir, "empty");
  mkdirSync(empty, { mode: 0o755 });
  const port = await freePort();
  const lines = [
    "listen=YES",
    "listen_ipv6=NO",
    "listen_address=127.0.0.1",
    `listen_port=${port}`,
    "background=NO",
    "anonymous_enable=NO",
    "local_enable=YES",
    "write_enable=YES",
    "local_umask=022",
    "chroot_local_user=YES",
    "allow_writeable_chroot=YES",
    `local_root=${root}`,
    `secure_chroot_dir=${empty}`,
    "pam_service_name=vsftpd",
    "pasv_enable=YES",
    `pasv_min_port=${PASSIVE_PORTS.min}`,
    `pasv_max_port=${PASSIVE_PORTS.max}`,
    "connect_from_port_20=NO",
    // Its seccomp filter is not needed for the benchmark and breaks on some kernels.
    "seccomp_sandbox=NO",
    "max_clients=0",
    "max_per_ip=0",
    "idle_session_timeout=600",
    "data_connection_timeout=600",
    "xferlog_enable=NO",
    "dual_log_enable=NO",
    "syslog_enable=NO",
    `vsftpd_log_file=${join(dir, "vsftpd-xfer.log")}`,
    "dirmessage_enable=NO",
  ];
  if (options.tls) {
    lines.push(
      "ssl_enable=YES",
      `rsa_cert_file=${ws.certFile}`,
      `rsa_private_key_file=${ws.keyFile}`,
      "allow_anon_ssl=NO",
      "force_local_logins_ssl=YES",
      "force_local_data_ssl=YES",
      "require_ssl_reuse=NO",
      "ssl_tlsv1=YES",
      "ssl_sslv2=NO",
      "ssl_sslv3=NO",
      "ssl_ciphers=HIGH",
    );
  }
  const conf = join(dir, "vsftpd.conf");
  writeFileSync(conf, `${lines.join("\n")}\n`, { mode: 0o600 });
  const wrapper = join(REPO_ROOT, "bench", "lib", "subreaper.pl");
  const handle = await launch("vsftpd", "perl", [wrapper, String(sysPrctl()), VSFTPD, conf], port, dir, options.cpu, undefined, true);
  const stop = async (signal: NodeJS.Signals = "SIGTERM", graceMs = 8000): Promise<void> => {
    // Sessions still open (a run cut short) are the wrapper's descendants: end them too.
    const sessions = descendantPids(handle.pid);
    await handle.stop(signal, graceMs);
    for (const pid of sessions) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  };
  return { ...handle, stop, kind: "vsftpd", root, tls: options.tls, idleDescendants: await settle(handle, 1) };
}

/** The vsftpd version line (`vsftpd -v` prints it on fd 0). */
export function vsftpdVersion(): string {
  try {
    const out = join(tmpdir(), `vsftpd-version-${process.pid}`);
    const fd = openSync(out, "w");
    try {
      execFileSync(VSFTPD, ["-v"], { stdio: [fd, fd, fd] });
    } catch {
      // It exits non-zero after printing.
    } finally {
      closeSync(fd);
    }
    const text = readFileSync(out, "utf8").trim();
    unlinkSync(out);
    return text || "vsftpd";
  } catch {
    return "vsftpd";
  }
}
