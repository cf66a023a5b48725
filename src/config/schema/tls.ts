import { z } from "zod";

export const tlsSection = z
  .strictObject({
    /** PEM files; when both are empty a self-signed certificate is made in <dataDir>/tls/. */
    certFile: z.string().default(""),
    keyFile: z.string().default(""),
  })
  .refine((tls) => (tls.certFile === "") === (tls.keyFile === ""), { message: "tls.certFile and tls.keyFile go together: set both, or neither for a self-signed certificate", path: ["keyFile"] })
  .prefault({});
