import { IncomingMessage } from "node:http";
import { asksForWebSocket } from "./websocket-handshake.js";

/** What llhttp said of the request: it asks to switch protocols (`Connection: upgrade` and an `Upgrade` header), or is a CONNECT. */
const ASKS_TO_SWITCH = Symbol("asks to switch protocols");

/**
 * The request class of the HTTP listeners. Once a server has an 'upgrade' listener, Node
 * hands it every request llhttp marks as an upgrade, and no route sees them: a request
 * with `Upgrade: h2c` (curl --http2 over http://) would meet the WebSocket door's 404
 * whatever its path. Node 20 decides by this object's `upgrade` (it has no
 * `shouldUpgradeCallback`), which is true here only for a WebSocket handshake and for
 * CONNECT; any other request that asks to switch is served by the app over HTTP/1.1,
 * as RFC 9110 §7.8 lets a server do.
 */
export class ServerRequest extends IncomingMessage {
  declare [ASKS_TO_SWITCH]: boolean | null | undefined;

  // An accessor, not a field: Node sets `upgrade` when it makes the request (before the
  // headers are there), and again as it decides, reading it back each time.
  get upgrade(): boolean {
    return this[ASKS_TO_SWITCH] === true && (this.method === "CONNECT" || asksForWebSocket(this.headers));
  }

  set upgrade(value: boolean | null) {
    this[ASKS_TO_SWITCH] = value;
  }
}

/** A request that asked to switch to a protocol this server does not speak, served as if it had not asked. */
export function isIgnoredUpgrade(request: IncomingMessage): boolean {
  return request instanceof ServerRequest && request[ASKS_TO_SWITCH] === true && !request.upgrade;
}
