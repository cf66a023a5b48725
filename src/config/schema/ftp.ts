import { isIPv4 } from "node:net";
import { z } from "zod";
import { parseListenAddress, type ListenAddress } from "../listen-address.js";
import { listenAddress, seconds } from "./fields.js";

export const ftpSection = z
  .strictObject({
    listen: z.array(listenAddress).default(["[::]:2121"].map((a) => parseListenAddress(a) as ListenAddress)),
    /** required: log in only after AUTH TLS; optional: client's choice; off: no FTPS. */
    tls: z.enum(["required", "optional", "off"]).default("required"),
    /** Under "required", still let loopback clients log in without TLS (a local client, a local proxy in front). */
    trustLoopback: z.boolean().default(true),
    /**
     * A protected (PROT P) data connection must resume the TLS session of its control connection,
     * or it is refused with 522 (vsftpd's require_ssl_reuse). Off only for clients that cannot
     * resume (Python's ftplib): another process at the client's address could then take its transfers.
     */
    tlsRequireSessionReuse: z.boolean().default(true),
    /** Passive data ports, min ≤ max, both set or neither; 0 and 0 = any free port. Open this range in a firewall. */
    passivePortMin: z.number().int().min(0).max(65535).default(0),
    passivePortMax: z.number().int().min(0).max(65535).default(0),
    /** IPv4 address put in PASV replies (behind NAT); empty = the address the client connected to. */
    publicAddress: z
      .string()
      // Each part 0-255: PASV writes the four as they are, and 999,300,1,1 sends clients nowhere.
      .refine((address) => address === "" || isIPv4(address), "an IPv4 address such as 203.0.113.7 (four numbers 0 to 255), or empty for the address the client connected to")
      .default(""),
    loginTimeoutSeconds: seconds.default(60),
    idleTimeoutSeconds: seconds.default(300),
    /** Seconds to wait for a data connection, and for data on it. */
    dataTimeoutSeconds: seconds.default(30),
    /** Longest command line; longer lines get 500 and are dropped. */
    maxCommandBytes: z.number().int().min(512).max(65536).default(4096),
    /** Failed logins on one connection before it is closed (the shared brute-force defence applies too). */
    maxLoginAttempts: z.number().int().min(1).default(3),
    /** Anonymous (USER anonymous / ftp) read-only access to <dataDir>/public. */
    anonymous: z.boolean().default(false),
  })
  // A range the data channel cannot use would silently become "any free port", which the firewall does not let through.
  .superRefine((ftp, ctx) => {
    const { passivePortMin: min, passivePortMax: max } = ftp;
    if (min === 0 && max === 0) return;
    if (min === 0 || max === 0) {
      const [unset, set, setValue] = min === 0 ? ["passivePortMin", "passivePortMax", max] : ["passivePortMax", "passivePortMin", min];
      ctx.addIssue({
        code: "custom",
        path: [unset],
        message: `ftp.${set} is ${setValue} but ftp.${unset} is not set: a passive range needs both ends (CMY_FTP_PASSIVE_PORT_MIN and CMY_FTP_PASSIVE_PORT_MAX), or neither (0 and 0) for any free port`,
      });
    } else if (min > max) {
      ctx.addIssue({
        code: "custom",
        path: ["passivePortMin"],
        message: `${min} is above ftp.passivePortMax (${max}): the passive range is passivePortMin to passivePortMax (CMY_FTP_PASSIVE_PORT_MIN ≤ CMY_FTP_PASSIVE_PORT_MAX)`,
      });
    }
  })
  .prefault({});
