import { useState } from "preact/hooks";
import type { AuthSession } from "../../api/session.js";
import { SignInForm } from "./SignInForm.js";
import { RegisterForm } from "./RegisterForm.js";

/** The page before signing in: the sign-in form, or the one that creates an account. */
export function AuthPage({ message, onSignedIn }: { message: string | null; onSignedIn: (session: AuthSession) => void }) {
  const [mode, setMode] = useState<"sign-in" | "register">("sign-in");
  return (
    <main class="auth-page">
      <div class="auth-card">
        <h1 class="brand">CmyMessage</h1>
        {message && (
          <p class="auth-message" role="status">
            {message}
          </p>
        )}
        {mode === "sign-in" ? <SignInForm onSignedIn={onSignedIn} /> : <RegisterForm onSignedIn={onSignedIn} />}
        <p class="auth-switch">
          {mode === "sign-in" ? "New here? " : "Already have an account? "}
          <button type="button" class="link-button" onClick={() => setMode(mode === "sign-in" ? "register" : "sign-in")}>
            {mode === "sign-in" ? "Create an account" : "Sign in instead"}
          </button>
        </p>
      </div>
    </main>
  );
}
