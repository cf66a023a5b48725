import { useState } from "preact/hooks";
import { AuthSession } from "../../api/session.js";
import { ApiError } from "../../api/http-api.js";

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.status === 429 ? "Too many attempts; wait a little and try again." : error.message;
  return error instanceof Error ? error.message : "Something went wrong";
}

export function SignInForm({ onSignedIn }: { onSignedIn: (session: AuthSession) => void }) {
  const [account, setAccount] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await AuthSession.signIn(account.trim(), password));
    } catch (failure) {
      setError(errorText(failure));
      setBusy(false);
    }
  };

  return (
    <form class="auth-form" onSubmit={submit}>
      <h2 id="sign-in-title">Sign in</h2>
      <label for="sign-in-account">Account</label>
      <input id="sign-in-account" name="account" autocomplete="username" autocapitalize="none" spellcheck={false} required value={account} onInput={(e) => setAccount(e.currentTarget.value)} />
      <label for="sign-in-password">Password</label>
      <input id="sign-in-password" name="password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" class="primary" disabled={busy}>
        Sign in
      </button>
    </form>
  );
}
