import { useEffect, useState } from "preact/hooks";
import { AuthSession } from "../api/session.js";
import { ChatApp } from "./ChatApp.js";
import { AuthPage } from "./auth/AuthPage.js";

type Phase = { readonly kind: "restoring" } | { readonly kind: "signed-out"; readonly message: string | null } | { readonly kind: "signed-in"; readonly session: AuthSession };

/** Signed in (the chat) or not (the sign-in and registration forms). */
export function App() {
  const [phase, setPhase] = useState<Phase>({ kind: "restoring" });

  useEffect(() => {
    AuthSession.restore()
      .then((session) => setPhase(session ? { kind: "signed-in", session } : { kind: "signed-out", message: null }))
      .catch((error: unknown) => setPhase({ kind: "signed-out", message: error instanceof Error ? error.message : "Could not restore the session" }));
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
  if (phase.kind === "signed-out") return <AuthPage message={phase.message} onSignedIn={(session) => setPhase({ kind: "signed-in", session })} />;
  return <ChatApp key={phase.session.account.name} session={phase.session} />;
}
