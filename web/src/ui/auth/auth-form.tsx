import { useState } from "preact/hooks";
import type { AuthSession } from "../../api/session.js";
import { ApiError } from "../../api/http-api.js";

/** The sentence to show for a failed account request (too many attempts gets its own). */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.status === 429 ? "Too many attempts; wait a little and try again." : error.message;
  return error instanceof Error ? error.message : "Something went wrong";
}

export interface AuthSubmit {
  readonly busy: boolean;
  readonly error: string | null;
  readonly submit: (event: Event) => Promise<void>;
}

/**
 * The submit logic both account forms share: `start` asks the server for a session; while it runs
 * the form is busy, and a refusal shows its sentence and lets the user try again.
 */
export function useAuthSubmit(start: () => Promise<AuthSession>, onSignedIn: (session: AuthSession) => void): AuthSubmit {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await start());
    } catch (failure) {
      setError(errorText(failure));
      setBusy(false);
    }
  };
  return { busy, error, submit };
}

/** The end of an account form: the refusal, if any, then the submit button labelled `label`. */
export function AuthFormEnd({ error, busy, label }: { error: string | null; busy: boolean; label: string }) {
  return (
    <>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" class="primary" disabled={busy}>
        {label}
      </button>
    </>
  );
}
