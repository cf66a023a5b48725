/**
 * The least a Node.js server can hold per idle client: a `net` server that keeps each
 * socket open with `data`, `error` and `close` listeners, and answers a registration with
 * `001` (all the `connect` scenario waits for). No parser, no user, no send queue: what
 * it costs per connection is the floor of any server built on `net.Socket` in this
 * Node.js, ours included (bench/idle-floor.ts). Plain JavaScript, so no loader's memory
 * is counted.
 *
 *   node bench/lib/bare-socket-server.mjs PORT
 */
import net from "node:net";

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) throw new Error("usage: bare-socket-server.mjs PORT");

const sockets = new Set();
const WELCOMED = Symbol("welcomed");

// Shared listeners (no closure per socket), as a careful server would write them.
function onData(chunk) {
  if (this[WELCOMED] || !chunk.includes("USER ")) return;
  this[WELCOMED] = true;
  this.write(":floor 001 client :Welcome\r\n");
}
function onError() {}
function onClose() {
  sockets.delete(this);
}

net
  .createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on("data", onData);
    socket.on("error", onError);
    socket.on("close", onClose);
  })
  .listen(port, "127.0.0.1");
