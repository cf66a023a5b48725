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

/** The longest password any door accepts: argon2id hashes whatever it is given, so this bounds the work. */
export const MAX_PASSWORD_BYTES = 1024;

/** What a new password must be (config `auth.password`). */
export interface PasswordPolicy {
  /** Fewest UTF-8 bytes after NFKC normalisation. */
  readonly minBytes: number;
  /** Refuse passwords on the common-password list. */
  readonly rejectCommon: boolean;
}

export type PasswordProblem = "too-short" | "too-long" | "too-common";

/**
 * Checks a new password against `policy`: minBytes to 1024 bytes of UTF-8 after NFKC
 * normalisation and, when the policy says so, not in the common-password list Firefox
 * Accounts uses (a public list of the most used passwords, shipped with the package —
 * no network at run time).
 */
export function checkNewPassword(password: string, policy: PasswordPolicy): PasswordProblem | null {
  const normalized = password.normalize("NFKC");
  const bytes = Buffer.byteLength(normalized);
  if (bytes < policy.minBytes) return "too-short";
  if (bytes > MAX_PASSWORD_BYTES) return "too-long";
  if (policy.rejectCommon && (passwordList().test(normalized) || passwordList().test(normalized.toLowerCase()))) return "too-common";
  return null;
}

/** The problem in words for the user, with the limits the policy sets. */
export function passwordProblemText(problem: PasswordProblem, policy: PasswordPolicy): string {
  switch (problem) {
    case "too-short":
      return `Passwords must be at least ${policy.minBytes} bytes long`;
    case "too-long":
      return `Passwords must be at most ${MAX_PASSWORD_BYTES} bytes long`;
    case "too-common":
      return "That password is one of the most common passwords; choose another";
  }
}

export function isPasswordProblem(reason: string): reason is PasswordProblem {
  return reason === "too-short" || reason === "too-long" || reason === "too-common";
}
