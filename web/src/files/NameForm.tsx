/** The one-field form that names a new folder or renames an entry, inline where the name will appear. */
import { useLayoutEffect, useRef, useState } from "preact/hooks";
import { failureMessage } from "../api/problem-detail.js";
import { nameProblem } from "./file-paths.js";
import { background } from "../background.js";

export interface NameFormProps {
  /** The text field's accessible name, e.g. "Folder name" or "New name for notes.txt". */
  readonly label: string;
  readonly initial: string;
  readonly submitLabel: string;
  readonly onSubmit: (name: string) => Promise<void>;
  readonly onCancel: () => void;
}

export function NameForm(props: NameFormProps) {
  const [name, setName] = useState(props.initial);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  // A layout effect, in the same task as the render that made the field: an effect after paint could
  // select the name's stem under what the user (or a test driving the browser) already typed, so
  // "final.txt" would replace only "old" and the file would become "final.txt.txt".
  useLayoutEffect(() => {
    const field = input.current;
    if (!field) return;
    field.focus();
    // Select the name without its extension, as file managers do: renaming rarely changes the type.
    const dot = props.initial.lastIndexOf(".");
    field.setSelectionRange(0, dot > 0 ? dot : props.initial.length);
  }, []);

  const submit = async (event: Event) => {
    event.preventDefault();
    const trimmed = name.trim();
    const refusal = nameProblem(trimmed);
    if (refusal) {
      setProblem(refusal);
      return;
    }
    setBusy(true);
    try {
      await props.onSubmit(trimmed);
    } catch (error) {
      setProblem(failureMessage(error));
      setBusy(false);
    }
  };

  return (
    <form class="files-name-form" onSubmit={(event) => background(submit(event))} onKeyDown={(event) => event.key === "Escape" && props.onCancel()}>
      <input
        ref={input}
        type="text"
        class="pane-input"
        aria-label={props.label}
        value={name}
        autocomplete="off"
        spellcheck={false}
        aria-invalid={problem ? true : undefined}
        onInput={(event) => {
          setName(event.currentTarget.value);
          setProblem(null);
        }}
      />
      <button type="submit" disabled={busy}>
        {props.submitLabel}
      </button>
      <button type="button" onClick={props.onCancel}>
        Cancel
      </button>
      {problem && (
        <p class="pane-error files-error" role="alert">
          {problem}
        </p>
      )}
    </form>
  );
}
