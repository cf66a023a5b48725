import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../../src/config/load.js";

const dir = mkdtempSync(join(tmpdir(), "cmy-config-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));

let fileCounter = 0;
function yamlFile(text: string): string {
  const file = join(dir, `config-${fileCounter++}.yaml`);
  writeFileSync(file, text);
  return file;
}

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.equal(error.name, "ConfigError");
    return error;
  }
  assert.fail("expected loadConfig to throw a ConfigError");
}

const FILE = `
dataDir: /srv/cmy
server:
  name: irc.example.org
  network: ExampleNet
log:
  level: warn
irc:
  listen: ["127.0.0.1:7000"]
  tlsListen: []
  nickLength: 20
  defaultChannels: ["#lobby", "#help"]
  flood:
    burst: 4
`;

// ── defaults ───────────────────────────────────────────────────────────────

test("no file and no environment gives the defaults", async () => {
  const config = await loadConfig(undefined, {});
  assert.equal(config.dataDir, "./data");
  assert.equal(config.server.name, "cmymessage.local");
  assert.equal(config.server.network, "CmyMessage");
  assert.equal(config.log.level, "info");
  assert.equal(config.log.format, "auto");
  assert.deepEqual(config.irc.listen, [{ host: "::", port: 6667 }]);
  assert.deepEqual(config.irc.tlsListen, [{ host: "::", port: 6697 }]);
  assert.deepEqual(config.irc.defaultChannels, ["#general"]);
  assert.equal(config.irc.nickLength, 30);
  assert.deepEqual(config.irc.flood, { enabled: true, burst: 8, linesPerSecond: 2, cooldownSeconds: 2, maxQueuedLines: 40, registrationLines: 50 });
  assert.deepEqual(config.irc.operators, []);
  assert.equal(config.limits.connectionsPerIp, 16);
});

test("the loaded configuration is deeply frozen", async () => {
  const config = await loadConfig(undefined, {});
  assert.ok(Object.isFrozen(config));
  assert.ok(Object.isFrozen(config.irc));
  assert.ok(Object.isFrozen(config.irc.listen));
  assert.ok(Object.isFrozen(config.irc.listen[0]));
  assert.ok(Object.isFrozen(config.irc.flood));
});

test("unrelated environment variables are ignored", async () => {
  const config = await loadConfig(undefined, { PATH: "/usr/bin", CMY_UNKNOWN: "x", HOME: "/root" });
  assert.equal(config.dataDir, "./data");
});

// ── file ───────────────────────────────────────────────────────────────────

test("a YAML file sets values; keys it leaves out keep their defaults", async () => {
  const config = await loadConfig(yamlFile(FILE), {});
  assert.equal(config.dataDir, "/srv/cmy");
  assert.equal(config.server.name, "irc.example.org");
  assert.equal(config.server.network, "ExampleNet");
  assert.equal(config.server.motd, "Welcome to CmyMessage.\nBe kind.");
  assert.equal(config.log.level, "warn");
  assert.deepEqual(config.irc.listen, [{ host: "127.0.0.1", port: 7000 }]);
  assert.deepEqual(config.irc.tlsListen, []);
  assert.equal(config.irc.nickLength, 20);
  assert.deepEqual(config.irc.defaultChannels, ["#lobby", "#help"]);
  assert.equal(config.irc.flood.burst, 4);
  assert.equal(config.irc.flood.linesPerSecond, 2);
  assert.equal(config.irc.topicLength, 340);
});

test("an empty file gives the defaults", async () => {
  const config = await loadConfig(yamlFile(""), {});
  assert.equal(config.server.name, "cmymessage.local");
  assert.deepEqual(config.irc.listen, [{ host: "::", port: 6667 }]);
});

test("a missing file is a ConfigError naming the file", async () => {
  const missing = join(dir, "does-not-exist.yaml");
  const error = await configError(loadConfig(missing, {}));
  assert.match(error.message, /cannot read config file/);
  assert.ok(error.message.includes(missing));
});

test("invalid YAML is a ConfigError naming the file", async () => {
  const file = yamlFile("irc:\n  listen: [unclosed\n");
  const error = await configError(loadConfig(file, {}));
  assert.match(error.message, /not valid YAML/);
  assert.ok(error.message.includes(file));
});

test("a YAML file that is not a mapping is a ConfigError", async () => {
  const error = await configError(loadConfig(yamlFile("- a\n- b\n"), {}));
  assert.match(error.message, /mapping/);
  await configError(loadConfig(yamlFile("just a string\n"), {}));
});

// ── environment over file ─────────────────────────────────────────────────

test("CMY_* environment variables override the file, leaving the file's siblings alone", async () => {
  const config = await loadConfig(yamlFile(FILE), {
    CMY_DATA_DIR: "/var/lib/cmy",
    CMY_SERVER_NAME: "chat.example.net",
    CMY_LOG_LEVEL: "debug",
    CMY_LOG_FORMAT: "json",
    CMY_TLS_CERT: "/etc/cert.pem",
    CMY_TLS_KEY: "/etc/key.pem",
  });
  assert.equal(config.dataDir, "/var/lib/cmy");
  assert.equal(config.server.name, "chat.example.net");
  assert.equal(config.server.network, "ExampleNet"); // from the file
  assert.equal(config.log.level, "debug");
  assert.equal(config.log.format, "json");
  assert.equal(config.tls.certFile, "/etc/cert.pem");
  assert.equal(config.tls.keyFile, "/etc/key.pem");
  assert.equal(config.irc.nickLength, 20); // from the file
});

test("CMY_IRC_LISTEN takes a comma-separated list and overrides the file", async () => {
  const config = await loadConfig(yamlFile(FILE), { CMY_IRC_LISTEN: "0.0.0.0:8000, [::1]:8001 ,localhost:8002" });
  assert.deepEqual(config.irc.listen, [
    { host: "0.0.0.0", port: 8000 },
    { host: "::1", port: 8001 },
    { host: "localhost", port: 8002 },
  ]);
});

test('CMY_IRC_LISTEN="" means no plain listener (not the default one)', async () => {
  const config = await loadConfig(undefined, { CMY_IRC_LISTEN: "" });
  assert.deepEqual(config.irc.listen, []);
  assert.deepEqual(config.irc.tlsListen, [{ host: "::", port: 6697 }]);
  const fromFile = await loadConfig(yamlFile(FILE), { CMY_IRC_LISTEN: "" });
  assert.deepEqual(fromFile.irc.listen, []);
});

test('CMY_IRC_TLS_LISTEN sets the TLS listeners; "" means none', async () => {
  const config = await loadConfig(undefined, { CMY_IRC_TLS_LISTEN: "[::]:7697,127.0.0.1:7698" });
  assert.deepEqual(config.irc.tlsListen, [
    { host: "::", port: 7697 },
    { host: "127.0.0.1", port: 7698 },
  ]);
  assert.deepEqual((await loadConfig(undefined, { CMY_IRC_TLS_LISTEN: "" })).irc.tlsListen, []);
});

test("an environment variable replaces a non-mapping value on its path in the file", async () => {
  const config = await loadConfig(yamlFile("server: not-a-mapping\n"), { CMY_SERVER_NAME: "irc.example.org" });
  assert.equal(config.server.name, "irc.example.org");
});

// ── flags over environment ────────────────────────────────────────────────

test("flags override the environment and the file", async () => {
  const config = await loadConfig(
    yamlFile(FILE),
    { CMY_DATA_DIR: "/env", CMY_IRC_LISTEN: "0.0.0.0:8000", CMY_IRC_TLS_LISTEN: "0.0.0.0:8001", CMY_LOG_LEVEL: "debug" },
    { dataDir: "/flag", ircListen: "127.0.0.1:9000,[::1]:9001", ircTlsListen: "", logLevel: "error" },
  );
  assert.equal(config.dataDir, "/flag");
  assert.deepEqual(config.irc.listen, [
    { host: "127.0.0.1", port: 9000 },
    { host: "::1", port: 9001 },
  ]);
  assert.deepEqual(config.irc.tlsListen, []);
  assert.equal(config.log.level, "error");
});

test("flags that are not given leave the environment's values", async () => {
  const config = await loadConfig(undefined, { CMY_LOG_LEVEL: "trace", CMY_IRC_LISTEN: "0.0.0.0:8000" }, { dataDir: "/flag" });
  assert.equal(config.log.level, "trace");
  assert.deepEqual(config.irc.listen, [{ host: "0.0.0.0", port: 8000 }]);
});

// ── errors name the key ───────────────────────────────────────────────────

test("a bad value in the file is a ConfigError naming the key (irc.nickLength)", async () => {
  const error = await configError(loadConfig(yamlFile("irc:\n  nickLength: 3\n"), {}));
  assert.match(error.message, /irc\.nickLength/);
  assert.match(error.message, /invalid configuration/);
});

test("a default channel no client could join is a ConfigError naming it: longer than irc.channelLength in bytes, an invisible character", async () => {
  // Before: accepted, and every connection was greeted with 476 for it.
  const long = "#" + "é".repeat(40);
  const error = await configError(loadConfig(yamlFile(`irc:\n  defaultChannels: ["#general", "${long}", "#news\\u200b"]\n`), {}));
  assert.match(error.message, /irc\.defaultChannels\.1/);
  assert.match(error.message, /irc\.defaultChannels\.2/);
  assert.doesNotMatch(error.message, /irc\.defaultChannels\.0/);
  const short = await configError(loadConfig(yamlFile("irc:\n  channelLength: 20\n  defaultChannels: ['#" + "a".repeat(30) + "']\n"), {}));
  assert.match(short.message, /irc\.defaultChannels\.0.*channelLength \(20\)/);
  // What JOIN accepts, the config does: "#café" and "#❤️" are fine.
  const config = await loadConfig(yamlFile('irc:\n  defaultChannels: ["#café", "#\\u2764\\uFE0F"]\n'), {});
  assert.deepEqual(config.irc.defaultChannels, ["#café", "#\u2764\uFE0F"]);
});

test("a value of the wrong type names its key", async () => {
  const error = await configError(loadConfig(yamlFile("irc:\n  flood:\n    burst: lots\n"), {}));
  assert.match(error.message, /irc\.flood\.burst/);
});

test("a bad log level from the environment names log.level", async () => {
  const error = await configError(loadConfig(undefined, { CMY_LOG_LEVEL: "loud" }));
  assert.match(error.message, /log\.level/);
});

test("a bad listen address from the environment names the entry and explains it", async () => {
  const error = await configError(loadConfig(undefined, { CMY_IRC_LISTEN: "0.0.0.0:6667,::1:6667" }));
  assert.match(error.message, /irc\.listen\.1/);
  assert.match(error.message, /bracket/);
});

test("a bad listen address from a flag is a ConfigError too", async () => {
  const error = await configError(loadConfig(undefined, {}, { ircListen: "localhost:70000" }));
  assert.match(error.message, /irc\.listen\.0/);
  assert.match(error.message, /65535/);
});

test("CMY_FTP_PUBLIC_ADDRESS and CMY_FTP_PASSIVE_PORT_MIN/MAX set one node's FTP data connections, over the file", async () => {
  const file = yamlFile("ftp:\n  publicAddress: 198.51.100.1\n  passivePortMin: 1000\n  passivePortMax: 2000\n  anonymous: true\n");
  const config = await loadConfig(file, { CMY_FTP_PUBLIC_ADDRESS: "203.0.113.7", CMY_FTP_PASSIVE_PORT_MIN: "50000", CMY_FTP_PASSIVE_PORT_MAX: " 50099 " });
  assert.equal(config.ftp.publicAddress, "203.0.113.7");
  assert.equal(config.ftp.passivePortMin, 50000);
  assert.equal(config.ftp.passivePortMax, 50099);
  assert.equal(config.ftp.anonymous, true, "the file's other ftp keys stay");
});

test("a passive port that is not a whole number is a ConfigError naming the variable", async () => {
  for (const value of ["", "fifty", "5e4", "0x10", "50000.5", "50000 50001"]) {
    const error = await configError(loadConfig(undefined, { CMY_FTP_PASSIVE_PORT_MIN: value }));
    assert.match(error.message, /CMY_FTP_PASSIVE_PORT_MIN/, value);
    assert.match(error.message, /ftp\.passivePortMin/, value);
  }
  const error = await configError(loadConfig(undefined, { CMY_FTP_PASSIVE_PORT_MAX: "70000" }));
  assert.match(error.message, /ftp\.passivePortMax/, "out of range: the schema's message names the key");
});

test("a bad server name from the environment names server.name", async () => {
  const error = await configError(loadConfig(undefined, { CMY_SERVER_NAME: "nodot" }));
  assert.match(error.message, /server\.name/);
});

test("several bad values are all reported", async () => {
  const error = await configError(loadConfig(yamlFile("irc:\n  nickLength: 100\n  maxTargets: 0\n"), {}));
  assert.match(error.message, /irc\.nickLength/);
  assert.match(error.message, /irc\.maxTargets/);
});
