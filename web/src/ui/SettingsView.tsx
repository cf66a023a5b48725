import { useState } from "preact/hooks";
import type { AuthSession } from "../api/session.js";
import type { Chat } from "../state/chat.js";
import { errorText } from "./auth/auth-form.js";
import { NotificationSettings } from "./extras.js";
import { background } from "../background.js";

/** The account: password, notifications, signing out here or everywhere. */
export function SettingsView({ session, chat }: { session: AuthSession; chat: Chat }) {
  return (
    <section class="settings" aria-labelledby="settings-title">
      <h2 id="settings-title">Settings</h2>
      <p>
        Signed in as <strong>{session.account.name}</strong>.
      </p>
      <PasswordForm session={session} />
      <NotificationSettings chat={chat} />
      <SignOut session={session} chat={chat} />
    </section>
  );
}

function PasswordForm({ session }: { session: AuthSession }) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setResult(null);
    try {
      await session.changePassword(current, next);
      setCurrent("");
      setNext("");
      setResult({ ok: true, text: "Password changed. Your other devices have been signed out." });
    } catch (error) {
      setResult({ ok: false, text: errorText(error) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="settings-block" onSubmit={(event) => background(submit(event))} aria-labelledby="password-title">
      <h3 id="password-title">Change password</h3>
      <label for="current-password">Current password</label>
      <input id="current-password" type="password" autocomplete="current-password" required value={current} onInput={(e) => setCurrent(e.currentTarget.value)} />
      <label for="new-password">New password</label>
      <input id="new-password" type="password" autocomplete="new-password" minLength={8} required value={next} onInput={(e) => setNext(e.currentTarget.value)} />
      {result && (
        <p class={result.ok ? "form-ok" : "form-error"} role={result.ok ? "status" : "alert"}>
          {result.text}
        </p>
      )}
      <button type="submit" class="primary" disabled={busy}>
        Change password
      </button>
    </form>
  );
}

function SignOut({ session, chat }: { session: AuthSession; chat: Chat }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <div class="settings-block" role="group" aria-labelledby="sign-out-title">
      <h3 id="sign-out-title">Sign out</h3>
      <p>Signing out everywhere ends the session of every device and app signed in to this account with its password.</p>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      <div class="button-row">
        {/* The chat signs out first, while the session and its connection are up: this browser's push subscription is unregistered. */}
        <button
          type="button"
          disabled={busy}
          onClick={() => {
            setBusy(true);
            background(session.signOut(() => chat.signedOut()));
          }}
        >
          Sign out
        </button>
        <button
          type="button"
          class="danger"
          disabled={busy}
          onClick={() => {
            setBusy(true);
            setError(null);
            session
              .signOutEverywhere(() => chat.signedOut())
              .catch((failure: unknown) => {
                setBusy(false);
                setError(errorText(failure));
              });
          }}
        >
          Sign out everywhere
        </button>
      </div>
    </div>
  );
}
