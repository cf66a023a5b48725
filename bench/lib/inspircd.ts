/**
 * InspIRCd 3 (Debian's `inspircd`) as a benchmark peer: the strongest C++ IRC
 * server packaged for this machine. Started in the foreground with a generated
 * configuration that lifts its per-connection limits as startNgircd lifts
 * ngircd's: no fake lag or command-rate throttle, no clone or connection
 * limits, no DNS or ident lookups, send queues as large as ours.
 */
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, launch, type ServerHandle, type StartOptions } from "./servers.js";

export const INSPIRCD = "/usr/sbin/inspircd";

/** InspIRCd's configuration for one benchmark run, listening on 127.0.0.1:`port`. */
export function inspircdConfig(port: number, dir: string): string {
  const limit = 30000;
  return [
    `<server name="inspircd.bench.local" description="CmyMessage benchmark peer" network="Bench">`,
    `<admin name="bench" nick="bench" email="bench@localhost">`,
    `<bind address="127.0.0.1" port="${port}" type="clients">`,
    `<power diepass="" restartpass="">`,
    // commandrate and fakelag="no" turn off InspIRCd's flood penalties; threshold is its burst before them.
    `<connect allow="*" timeout="60" pingfreq="600" threshold="1000000" commandrate="100000000" fakelag="no"`,
    `  hardsendq="4194304" softsendq="65536" recvq="65536" localmax="${limit}" globalmax="${limit}" limit="${limit}" useident="no">`,
    `<performance softlimit="${limit}" somaxconn="4096" clonesonconnect="no" nouserdns="yes" timeskipwarn="0">`,
    `<channels users="100" opers="100">`,
    `<files motd="${join(dir, "inspircd.motd")}">`,
    `<pid file="${join(dir, "inspircd.pid")}">`,
    `<options prefixquit="Quit: " syntaxhints="no" announcets="yes" hostintopic="yes" pingwarning="15" splitwhois="no" exemptchanops="">`,
    `<security hideserver="" userstats="Pu" customversion="" flatlinks="no" hidesplits="no" hideulines="no" hidebans="no" maxtargets="20">`,
    `<limits maxnick="30" maxchan="64" maxmodes="20" maxident="11" maxquit="255" maxtopic="307" maxkick="255" maxreal="128" maxgecos="128" maxaway="200">`,
    `<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="${join(dir, "inspircd-internal.log")}">`,
    `<whowas groupsize="10" maxgroups="100000" maxkeep="3d">`,
    "",
  ].join("\n");
}

/** InspIRCd in the foreground (it refuses root without --runasroot; the bench runs as root in CI's kind of machine). */
export async function startInspircd(options: StartOptions): Promise<ServerHandle> {
  if (!existsSync(INSPIRCD)) throw new Error(`${INSPIRCD} is missing (apt-get install inspircd)`);
  const dir = mkdtempSync(join(options.baseDir, "inspircd-"));
  chmodSync(dir, 0o755);
  const port = await freePort();
  writeFileSync(join(dir, "inspircd.motd"), "CmyMessage benchmark peer.\n");
  const conf = join(dir, "inspircd.conf");
  writeFileSync(conf, inspircdConfig(port, dir));
  const args = ["--nofork", `--config=${conf}`];
  if (process.getuid?.() === 0) args.push("--runasroot");
  return launch("inspircd", INSPIRCD, args, port, dir, options.cpu);
}
