import { randomBytes } from "node:crypto";
import net, { type Socket } from "node:net";
import tls, { type SecureContext, type SecureContextOptions, type TLSSocket } from "node:tls";
import { SERVER_TLS } from "../net/tls-certificate.js";

/** The certificate and key FTPS presents (the server's, shared with IRC over TLS). */
export type TlsMaterial = Pick<SecureContextOptions, "cert" | "key">;

/**
 * Sessions resumable for a week: OpenSSL's default (two hours) would refuse the data
 * connections of a long-lived control connection, whose client keeps offering the
 * session of its first handshake. TLS 1.3 caps a ticket's lifetime at a week anyway.
 */
const SESSION_TIMEOUT_SECONDS = 7 * 24 * 3600;

/** Sessions a control connection keeps by id (TLS 1.3 handshakes add two that no one asks for). */
const SESSIONS_KEPT = 8;

/** TLS 1.2 or newer with forward-secret AEAD suites only, as on every TLS door (SERVER_TLS). */
const BASE: SecureContextOptions = { ...SERVER_TLS, sessionTimeout: SESSION_TIMEOUT_SECONDS };

/**
 * The TLS of one control connection and of its data connections, shared with no other
 * connection: session-ticket keys and a session-id context of its own, and its own
 * store of sessions by id. A data connection that must resume gets a context with
 * those and no certificate: its handshake can only resume this control connection's
 * session. A full handshake fails for want of a certificate (the client gets a
 * handshake_failure alert and nothing else), so it never yields a session or a ticket
 * a stranger could come back with; and the session of another client of this server
 * (his own, with his own account) cannot be resumed here.
 */
export class ConnectionTls {
  readonly #own: SecureContextOptions = { ...BASE, ticketKeys: randomBytes(48), sessionIdContext: randomBytes(16).toString("hex") };
  readonly #control: SecureContext;
  #resumeOnly: SecureContext | null = null;
  readonly #sessions = new Map<string, Buffer>();
  /**
   * Node's TLS layer keeps no sessions by id: it hands them to the `server` of a
   * TLSSocket ("newSession") and asks it for them ("resumeSession"). The control
   * connection stores, its data connections look up. Only TLS 1.2 clients that resume
   * without tickets need this (curl over TLS 1.2); tickets carry the session themselves.
   */
  readonly #saver = new net.Server();
  readonly #finder = new net.Server();

  constructor(
    material: TlsMaterial,
    /** The server's shared context: data connections that need not resume. */
    private readonly shared: SecureContext,
  ) {
    this.#control = tls.createSecureContext({ ...material, ...this.#own });
    this.#saver.on("newSession", (id: Buffer, session: Buffer, done: () => void) => {
      this.#sessions.set(id.toString("hex"), session);
      for (const oldest of this.#sessions.keys()) {
        if (this.#sessions.size <= SESSIONS_KEPT) break;
        this.#sessions.delete(oldest);
      }
      done();
    });
    this.#finder.on("resumeSession", (id: Buffer, done: (error: Error | null, session: Buffer | null) => void) => {
      done(null, this.#sessions.get(id.toString("hex")) ?? null);
    });
  }

  /** The server side of TLS over the control connection (AUTH TLS). */
  acceptControl(socket: Socket): TLSSocket {
    return new tls.TLSSocket(socket, { isServer: true, secureContext: this.#control, server: this.#saver });
  }

  /**
   * The server side of TLS over a data connection. Unless it must resume the control
   * connection's session, it gets the server's shared context, whose sessions and
   * tickets are worthless here: turning the requirement on by a reload then leaves none
   * that a full handshake handed out meanwhile.
   */
  acceptData(socket: Socket, mustResume: boolean): TLSSocket {
    if (!mustResume) return new tls.TLSSocket(socket, { isServer: true, secureContext: this.shared });
    this.#resumeOnly ??= tls.createSecureContext(this.#own);
    return new tls.TLSSocket(socket, { isServer: true, secureContext: this.#resumeOnly, server: this.#finder });
  }
}

/**
 * FTPS: a ConnectionTls for each control connection that does AUTH TLS. Its context
 * parses the key and the certificate again (Node takes them as PEM only), which about
 * doubles the CPU an AUTH TLS costs: some 1.5 ms more per handshake on a small VM. The
 * certificate-less context of its data connections costs a sixth of that, once.
 */
export class FtpTls {
  #material: TlsMaterial;
  #shared: SecureContext;

  constructor(material: TlsMaterial) {
    // Made now: a bad key or certificate fails the start, not the first AUTH TLS.
    this.#shared = tls.createSecureContext({ ...material, ...BASE });
    this.#material = material;
  }

  /**
   * The certificate and key for every AUTH TLS from now on (a reload with new TLS files).
   * A control connection secured earlier keeps its own, for itself and its data
   * connections. Throws, changing nothing, when OpenSSL refuses them.
   */
  update(material: TlsMaterial): void {
    this.#shared = tls.createSecureContext({ ...material, ...BASE });
    this.#material = material;
  }

  forControlConnection(): ConnectionTls {
    return new ConnectionTls(this.#material, this.#shared);
  }
}
