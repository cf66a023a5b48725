import { background } from "../../background.js";
import { useState } from "preact/hooks";
import { AuthSession } from "../../api/session.js";
import { AuthFormEnd, useAuthSubmit } from "./auth-form.js";

export function SignInForm({ onSignedIn }: { onSignedIn: (session: AuthSession) => void }) {
  const [account, setAccount] = useState("");
  const [password, setPassword] = useState("");
  const { busy, error, submit } = useAuthSubmit(() => AuthSession.signIn(account.trim(), password), onSignedIn);

  return (
    <form class="auth-form" onSubmit={(event) => background(submit(event))}>
      <h2 id="sign-in-title">Sign in</h2>
      <label for="sign-in-account">Account</label>
      <input id="sign-in-account" name="account" autocomplete="username" autocapitalize="none" spellcheck={false} required value={account} onInput={(e) => setAccount(e.currentTarget.value)} />
      <label for="sign-in-password">Password</label>
      <input id="sign-in-password" name="password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
      <AuthFormEnd error={error} busy={busy} label="Sign in" />
    </form>
  );
}
