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

/**
 * `check` says why a name cannot be used (null: it can); the dialog then stays open with the reason.
 * `optional` adds a second, optional field (a channel's key), given to `onSubmit` as typed ("" when empty).
 */
function NameDialog(props: {
  title: string;
  label: string;
  hint: string;
  action: string;
  optional?: { label: string; hint: string };
  check?: (value: string) => string | null;
  onSubmit: (value: string, optional: string) => void;
  onClose: () => void;
}) {
  const dialog = useModal();
  const [value, setValue] = useState("");
  const [optionalValue, setOptionalValue] = useState("");
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
          props.onSubmit(value.trim(), optionalValue.trim());
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
        {props.optional && (
          <>
            <label for={`${id}-optional`}>{props.optional.label}</label>
            <input
              id={`${id}-optional`}
              autocomplete="off"
              autocapitalize="none"
              spellcheck={false}
              aria-describedby={`${id}-optional-hint`}
              value={optionalValue}
              onInput={(e) => setOptionalValue(e.currentTarget.value)}
            />
            <p id={`${id}-optional-hint`} class="hint">
              {props.optional.hint}
            </p>
          </>
        )}
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

export function JoinDialog({ onJoin, onClose }: { onJoin: (name: string, key: string) => void; onClose: () => void }) {
  return (
    <NameDialog
      title="Join a channel"
      label="Channel"
      hint="An existing channel, or a new one you will run."
      action="Join"
      optional={{ label: "Key", hint: "Only for a channel that has one (mode +k); leave it empty otherwise." }}
      onSubmit={onJoin}
      onClose={onClose}
    />
  );
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
