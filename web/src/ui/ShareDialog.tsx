import { useEffect, useRef } from "preact/hooks";
import type { Conversation } from "../state/types.js";

/**
 * "Share into a conversation": the file's link goes there as a message. The server lets
 * the members of a conversation open a share once its owner posted the link in it.
 */
export function ShareDialog({ name, conversations, onShare, onClose }: { name: string; conversations: readonly Conversation[]; onShare: (conversation: Conversation) => void; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  const usable = conversations.filter((c) => c.joined);
  return (
    <dialog ref={dialog} class="dialog" aria-labelledby="share-title" onClose={onClose}>
      <h2 id="share-title">Share “{name}”</h2>
      <p class="hint">Its link is posted in the conversation you choose; the people there can open it, nobody else.</p>
      {usable.length === 0 ? (
        <p class="list-empty">Join a channel or start a conversation first.</p>
      ) : (
        <ul class="share-targets">
          {usable.map((conversation) => (
            <li key={conversation.key}>
              <button
                type="button"
                onClick={() => {
                  onShare(conversation);
                  dialog.current?.close();
                }}
              >
                {conversation.name}
              </button>
            </li>
          ))}
        </ul>
      )}
      <div class="dialog-buttons">
        <button type="button" onClick={() => dialog.current?.close()}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}
