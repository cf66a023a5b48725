import type { RefObject } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { focusComposerOf } from "./conversation/Composer.js";

function useModal(): RefObject<HTMLDialogElement | null> {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  return dialog;
}

/** `check` says why a name cannot be used (null: it can); the dialog then stays open with the reason. */
function NameDialog(props: { title: string; label: string; hint: string; action: string; check?: (value: string) => string | null; onSubmit: (value: string) => void; onClose: () => void }) {
  const dialog = useModal();
  const [value, setValue] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const id = props.action.toLowerCase().replace(/\W+/g, "-");
  return (
    <dialog ref={dialog} class="dialog" aria-labelledby={`${id}-title`} onClose={props.onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (value.trim() === "") return;
          const refused = props.check?.(value.trim()) ?? null;
          setProblem(refused);
          if (refused !== null) return;
          props.onSubmit(value.trim());
          dialog.current?.close();
          // The conversation opens now or once the server answers (a JOIN): its message box takes the focus then.
          focusComposerOf();
        }}
      >
        <h2 id={`${id}-title`}>{props.title}</h2>
        <label for={`${id}-input`}>{props.label}</label>
        <input
          id={`${id}-input`}
          autoFocus
          required
          autocapitalize="none"
          spellcheck={false}
          aria-describedby={problem === null ? `${id}-hint` : `${id}-problem ${id}-hint`}
          aria-invalid={problem !== null}
          value={value}
          onInput={(e) => {
            setValue(e.currentTarget.value);
            setProblem(null);
          }}
        />
        {problem !== null && (
          <p id={`${id}-problem`} class="form-error" role="alert">
            {problem}
          </p>
        )}
        <p id={`${id}-hint`} class="hint">
          {props.hint}
        </p>
        <div class="dialog-buttons">
          <button type="button" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button type="submit" class="primary">
            {props.action}
          </button>
        </div>
      </form>
    </dialog>
  );
}

export function JoinDialog({ onJoin, onClose }: { onJoin: (name: string) => void; onClose: () => void }) {
  return <NameDialog title="Join a channel" label="Channel" hint="An existing channel, or a new one you will run." action="Join" onSubmit={onJoin} onClose={onClose} />;
}

export function DirectDialog({ check, onStart, onClose }: { check: (nick: string) => string | null; onStart: (nick: string) => void; onClose: () => void }) {
  return (
    <NameDialog
      title="Message someone"
      label="Account or nick"
      hint="Anyone with an account, online or not: they get your messages when they are back."
      action="Start conversation"
      check={check}
      onSubmit={onStart}
      onClose={onClose}
    />
  );
}
