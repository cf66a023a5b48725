import { background } from "../../background.js";
import { useState } from "preact/hooks";
import { AuthSession } from "../../api/session.js";
import { AuthFormEnd, useAuthSubmit } from "./auth-form.js";

export function RegisterForm({ onSignedIn }: { onSignedIn: (session: AuthSession) => void }) {
  const [account, setAccount] = useState("");
  const [password, setPassword] = useState("");
  const [email, setEmail] = useState("");
  const { busy, error, submit } = useAuthSubmit(() => AuthSession.register(account.trim(), password, email.trim() || undefined), onSignedIn);

  return (
    <form class="auth-form" onSubmit={(event) => background(submit(event))}>
      <h2 id="register-title">Create an account</h2>
      <label for="register-account">Account</label>
      <input id="register-account" name="account" autocomplete="username" autocapitalize="none" spellcheck={false} required aria-describedby="register-account-hint" value={account} onInput={(e) => setAccount(e.currentTarget.value)} />
      <p id="register-account-hint" class="hint">
        Also your nick in chat: letters, digits and - _ [ ] \ ` ^ {"{ }"} |, not starting with a digit.
      </p>
      <label for="register-password">Password</label>
      <input id="register-password" name="password" type="password" autocomplete="new-password" minLength={8} required aria-describedby="register-password-hint" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
      <p id="register-password-hint" class="hint">
        At least 8 characters, not a common password.
      </p>
      <label for="register-email">Email (optional)</label>
      <input id="register-email" name="email" type="email" autocomplete="email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
      <AuthFormEnd error={error} busy={busy} label="Create account" />
    </form>
  );
}
