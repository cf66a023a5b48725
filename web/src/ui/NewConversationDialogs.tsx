import type { RefObject } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";

function useModal(): RefObject<HTMLDialogElement | null> {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  return dialog;
}

function NameDialog(props: { title: string; label: string; hint: string; action: string; onSubmit: (value: string) => void; onClose: () => void }) {
  const dialog = useModal();
  const [value, setValue] = useState("");
  const id = props.action.toLowerCase().replace(/\W+/g, "-");
  return (
    <dialog ref={dialog} class="dialog" aria-labelledby={`${id}-title`} onClose={props.onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (value.trim() === "") return;
          props.onSubmit(value.trim());
          dialog.current?.close();
        }}
      >
        <h2 id={`${id}-title`}>{props.title}</h2>
        <label for={`${id}-input`}>{props.label}</label>
        <input id={`${id}-input`} autoFocus required autocapitalize="none" spellcheck={false} aria-describedby={`${id}-hint`} value={value} onInput={(e) => setValue(e.currentTarget.value)} />
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

export function DirectDialog({ onStart, onClose }: { onStart: (nick: string) => void; onClose: () => void }) {
  return (
    <NameDialog
      title="Message someone"
      label="Account or nick"
      hint="Anyone with an account, online or not: they get your messages when they are back."
      action="Start conversation"
      onSubmit={onStart}
      onClose={onClose}
    />
  );
}
