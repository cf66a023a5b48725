import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../api/http-api.js";
import { AuthSession } from "../api/session.js";
import { backoffDelay } from "../irc/backoff.js";
import { ChatApp } from "./ChatApp.js";
import { AuthPage } from "./auth/AuthPage.js";

type Phase =
  | { readonly kind: "restoring" }
  | { readonly kind: "reconnecting" }
  | { readonly kind: "signed-out"; readonly message: string | null }
  | { readonly kind: "signed-in"; readonly session: AuthSession };

/**
 * The server could not be asked (a network failure, a proxy's 502 while it restarts, too
 * busy): the kept session is neither good nor over yet. Only an answer refusing the token
 * (401, other 4xx) signs out.
 */
function isUnreachable(error: unknown): boolean {
  if (!(error instanceof ApiError)) return true;
  return error.status === 0 || error.status >= 500 || error.status === 408 || error.status === 429;
}

/** Signed in (the chat) or not (the sign-in and registration forms). */
export function App() {
  const [phase, setPhase] = useState<Phase>({ kind: "restoring" });

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    // The kept session is restored; while the server cannot be reached, tried again after
    // 1 s, 2 s, 4 s … up to 30 s (RECONNECT_BACKOFF, with jitter), sooner when the browser says it is online again.
    const attempt = (failures: number): void => {
      timer = null;
      AuthSession.restore()
        .then((session) => {
          if (!stopped) setPhase(session ? { kind: "signed-in", session } : { kind: "signed-out", message: null });
        })
        .catch((error: unknown) => {
          if (stopped) return;
          if (!isUnreachable(error)) return setPhase({ kind: "signed-out", message: error instanceof Error ? error.message : "Could not restore the session" });
          const delay = backoffDelay(failures);
          setPhase({ kind: "reconnecting" });
          timer = setTimeout(() => attempt(failures + 1), delay);
        });
    };
    const onOnline = (): void => {
      if (timer === null) return;
      clearTimeout(timer);
      attempt(0);
    };
    attempt(0);
    window.addEventListener("online", onOnline);
    return () => {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      window.removeEventListener("online", onOnline);
    };
  }, []);

  useEffect(() => {
    if (phase.kind !== "signed-in") return;
    return phase.session.onEnded((why) => setPhase({ kind: "signed-out", message: why }));
  }, [phase]);

  if (phase.kind === "restoring") {
    return (
      <main class="splash" aria-busy="true">
        <h1>CmyMessage</h1>
        <p role="status">Loading…</p>
      </main>
    );
  }
  if (phase.kind === "reconnecting") {
    return (
      <main class="splash" aria-busy="true">
        <h1>CmyMessage</h1>
        <p role="status">The server cannot be reached. Reconnecting…</p>
      </main>
    );
  }
  if (phase.kind === "signed-out") return <AuthPage message={phase.message} onSignedIn={(session) => setPhase({ kind: "signed-in", session })} />;
  return <ChatApp key={phase.session.account.name} session={phase.session} />;
}
