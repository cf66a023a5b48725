import { createRequire } from "node:module";

type PasswordList = { test(password: string): boolean };

/**
 * The common-password list takes a noticeable share of start-up to load, and only
 * setting a password needs it: the server loads it once it listens
 * (`loadCommonPasswords`); the CLI, which sets one password and exits, on first use.
 */
let commonPasswords: PasswordList | null = null;

export async function loadCommonPasswords(): Promise<void> {
  const loaded = await import("fxa-common-password-list");
  commonPasswords ??= loaded.default;
}

function passwordList(): PasswordList {
  return (commonPasswords ??= createRequire(import.meta.url)("fxa-common-password-list") as PasswordList);
}

export const MIN_PASSWORD_BYTES = 8;
export const MAX_PASSWORD_BYTES = 1024;

export type PasswordProblem = "too-short" | "too-long" | "too-common";

/**
 * Checks a new password: 8 to 1024 bytes of UTF-8 after NFKC normalisation, and
 * not in the common-password list Firefox Accounts uses (a public list of the
 * most used passwords, shipped with the package — no network at run time).
 */
export function checkNewPassword(password: string): PasswordProblem | null {
  const normalized = password.normalize("NFKC");
  const bytes = Buffer.byteLength(normalized);
  if (bytes < MIN_PASSWORD_BYTES) return "too-short";
  if (bytes > MAX_PASSWORD_BYTES) return "too-long";
  if (passwordList().test(normalized) || passwordList().test(normalized.toLowerCase())) return "too-common";
  return null;
}

export const passwordProblemText: Record<PasswordProblem, string> = {
  "too-short": `Passwords must be at least ${MIN_PASSWORD_BYTES} bytes long`,
  "too-long": `Passwords must be at most ${MAX_PASSWORD_BYTES} bytes long`,
  "too-common": "That password is one of the most common passwords; choose another",
};
