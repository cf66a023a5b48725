/**
 * A modal question before something that cannot be undone. The native <dialog> gives the focus trap,
 * Esc to cancel and the inert background for free; the safe answer (Cancel) has the focus.
 */
import { useEffect, useId, useRef } from "preact/hooks";

export interface ConfirmDialogProps {
  readonly title: string;
  readonly message: string;
  /** The verb on the destructive button, e.g. "Delete". */
  readonly confirmLabel: string;
  readonly onConfirm: () => void;
  readonly onCancel: () => void;
}

export function ConfirmDialog(props: ConfirmDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  const messageId = useId();

  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    cancel.current?.focus();
    return () => element?.close();
  }, []);

  return (
    <dialog
      ref={dialog}
      class="files-dialog"
      aria-labelledby={titleId}
      aria-describedby={messageId}
      onCancel={(event) => {
        event.preventDefault();
        props.onCancel();
      }}
    >
      <h3 id={titleId}>{props.title}</h3>
      <p id={messageId}>{props.message}</p>
      <div class="files-dialog-actions">
        <button type="button" ref={cancel} onClick={props.onCancel}>
          Cancel
        </button>
        <button type="button" class="files-danger" onClick={props.onConfirm}>
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
