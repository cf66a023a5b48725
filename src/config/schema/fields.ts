import { z } from "zod";
import { parseListenAddress, type ListenAddress } from "../listen-address.js";

export const listenAddress = z.string().transform((text, ctx): ListenAddress => {
  const parsed = parseListenAddress(text);
  if (typeof parsed === "string") {
    ctx.addIssue({ code: "custom", message: parsed });
    return z.NEVER;
  }
  return parsed;
});

export const seconds = z.number().positive();
