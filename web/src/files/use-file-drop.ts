/**
 * Files arriving at the files view from outside: dragged from the desktop onto it, or pasted (a
 * screenshot) anywhere on the page except into a text field of the app, such as the message box.
 */
import type { RefObject } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { dragHasFiles, incomingFiles, type Incoming } from "./incoming-files.js";

export interface DropTarget {
  /** True while files are dragged over the view: it shows where they will go. */
  readonly dragging: boolean;
  readonly handlers: {
    onDragEnter(event: DragEvent): void;
    onDragOver(event: DragEvent): void;
    onDragLeave(): void;
    onDrop(event: DragEvent): void;
  };
}

function isEditable(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement);
}

export function useFileDrop(root: RefObject<HTMLElement | null>, accept: (incoming: Incoming) => void): DropTarget {
  const [dragging, setDragging] = useState(false);
  // dragenter and dragleave fire for every child crossed; only leaving the whole view ends the drag.
  const depth = useRef(0);

  useEffect(() => {
    const onPaste = (event: ClipboardEvent) => {
      if (!event.clipboardData) return;
      if (isEditable(event.target) && !root.current?.contains(event.target as Node)) return;
      const incoming = incomingFiles(event.clipboardData, new Date());
      if (incoming.files.length === 0) return;
      event.preventDefault();
      accept(incoming);
    };
    document.addEventListener("paste", onPaste);
    return () => document.removeEventListener("paste", onPaste);
  }, [accept]);

  return {
    dragging,
    handlers: {
      onDragEnter(event) {
        if (!dragHasFiles(event.dataTransfer)) return;
        event.preventDefault();
        depth.current += 1;
        setDragging(true);
      },
      onDragOver(event) {
        if (!dragHasFiles(event.dataTransfer)) return;
        event.preventDefault();
        if (event.dataTransfer) event.dataTransfer.dropEffect = "copy";
      },
      onDragLeave() {
        depth.current = Math.max(0, depth.current - 1);
        if (depth.current === 0) setDragging(false);
      },
      onDrop(event) {
        depth.current = 0;
        setDragging(false);
        if (!event.dataTransfer || !dragHasFiles(event.dataTransfer)) return;
        event.preventDefault();
        accept(incomingFiles(event.dataTransfer, new Date()));
      },
    },
  };
}
