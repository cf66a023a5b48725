import type { AnytimeCommand } from "../command.js";
import type { IrcConnection } from "../connection.js";
import { CAPABILITIES, capabilityOffered, capabilityValue, isCapability, type Capability, type CapabilityChanges } from "../capabilities.js";
import { ERR } from "../numerics.js";
import { formatLine } from "../format.js";
import { tryCompleteRegistration } from "../registration.js";

function capLine(connection: IrcConnection, subcommand: string, text: string, more = false): void {
  const params = more ? [connection.nick, subcommand, "*", text] : [connection.nick, subcommand, text];
  connection.sendLine(formatLine(connection.context.serverName, "CAP", params));
}

function listing(connection: IrcConnection): string[] {
  return CAPABILITIES.filter((cap) => capabilityOffered(cap, connection.context.config)).map((cap) => listed(connection, cap));
}

/** A capability as CAP LS shows it to `connection`: with its value for CAP LS 302 clients. */
function listed(connection: IrcConnection, cap: Capability): string {
  const value = capabilityValue(cap, connection.context.config);
  return connection.capVersion >= 302 && value !== null ? `${cap}=${value}` : cap;
}

/**
 * A reload changed the offering (the connection's context has the new config): a withdrawn
 * capability stops being active for every client, and one that negotiated cap-notify hears
 * CAP DEL of it; CAP NEW of what is newly offered and, for CAP LS 302 clients (the only
 * ones shown values), of what is offered with a new value (capability-negotiation, cap-notify).
 */
export function announceCapabilityChanges(connection: IrcConnection, changes: CapabilityChanges): void {
  if (connection.closed) return;
  const withdrawn = changes.removed.filter((cap) => connection.caps.has(cap));
  if (withdrawn.length > 0) connection.setCaps([], withdrawn);
  if (!connection.caps.has("cap-notify")) return;
  const offered = connection.capVersion >= 302 ? [...changes.added, ...changes.revalued.filter((cap) => capabilityValue(cap, connection.context.config) !== null)] : changes.added;
  // A notification of the server's, as Ergo sends it: never part of the labelled reply of a
  // command running on this connection (even the REHASH that caused it).
  connection.sendUnlabelled(() => {
    if (changes.removed.length > 0) sendList(connection, "DEL", changes.removed);
    if (offered.length > 0) sendList(connection, "NEW", offered.map((cap) => listed(connection, cap)));
  });
}

/** Sends a cap list, split over several lines (with the `*` marker) if it is long. */
function sendList(connection: IrcConnection, subcommand: string, caps: readonly string[]): void {
  let chunk: string[] = [];
  let size = 0;
  for (const cap of caps) {
    if (size + cap.length > 380 && chunk.length > 0) {
      capLine(connection, subcommand, chunk.join(" "), true);
      chunk = [];
      size = 0;
    }
    chunk.push(cap);
    size += cap.length + 1;
  }
  capLine(connection, subcommand, chunk.join(" "));
}

export const cap: AnytimeCommand = {
  name: "CAP",
  minParams: 1,
  when: "any",
  help: "CAP LS [302] | LIST | REQ :caps | END — IRCv3 capability negotiation",
  run(connection, params) {
    const subcommand = params[0]!.toUpperCase();
    const pending = connection.pending;
    switch (subcommand) {
      case "LS": {
        const version = Number(params[1] ?? 0);
        if (Number.isInteger(version) && version > connection.capVersion) connection.capVersion = version;
        if (connection.capVersion >= 302) connection.setCaps(["cap-notify"], []);
        if (pending) pending.capNegotiating = true;
        sendList(connection, "LS", listing(connection));
        return;
      }
      case "LIST":
        sendList(connection, "LIST", [...connection.caps]);
        return;
      case "REQ": {
        const requested = (params[1] ?? "").split(" ").filter((c) => c !== "");
        if (pending) pending.capNegotiating = true;
        const enable: Capability[] = [];
        const disable: Capability[] = [];
        for (const item of requested) {
          const off = item.startsWith("-");
          const name = off ? item.slice(1) : item;
          if (!isCapability(name) || !capabilityOffered(name, connection.context.config)) {
            capLine(connection, "NAK", params[1] ?? "");
            return;
          }
          // cap-notify-3.2: implicit with CAP LS 302, and then it cannot be turned off.
          if (off && name === "cap-notify" && connection.capVersion >= 302) {
            capLine(connection, "NAK", params[1] ?? "");
            return;
          }
          (off ? disable : enable).push(name);
        }
        connection.setCaps(enable, disable);
        capLine(connection, "ACK", requested.join(" "));
        return;
      }
      case "END":
        if (pending) {
          pending.capNegotiating = false;
          return tryCompleteRegistration(connection);
        }
        return;
      default:
        connection.numeric(ERR.INVALIDCAPCMD, params[0]!, "Invalid CAP command");
    }
  },
};
