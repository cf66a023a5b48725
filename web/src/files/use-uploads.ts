/** The files view's window on the page's upload queue (upload-queue.ts), re-rendering as it moves. */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { uploadQueueFor, type UploadItem } from "./upload-queue.js";

export interface Uploads {
  readonly items: readonly UploadItem[];
  /** Queues files for `folder`, each under the name given (a pasted image has none worth keeping). */
  enqueue(folder: string, files: readonly { file: Blob; name: string }[]): void;
  cancel(id: number): void;
  clearFinished(): void;
}

export function useUploads(getToken: () => Promise<string>, onUploaded: (folder: string) => void): Uploads {
  const queue = useMemo(() => uploadQueueFor(getToken), [getToken]);
  const [items, setItems] = useState(queue.items);
  // The latest callback, for uploads that finish after the render that started them.
  const uploaded = useRef(onUploaded);
  uploaded.current = onUploaded;

  useEffect(() => {
    setItems(queue.items);
    const stopItems = queue.subscribe(() => setItems(queue.items));
    const stopUploaded = queue.onUploaded((folder) => uploaded.current(folder));
    return () => {
      stopItems();
      stopUploaded();
    };
  }, [queue]);

  // Stable functions: callers may list them as effect dependencies.
  const actions = useMemo(
    () => ({
      enqueue: (folder: string, files: readonly { file: Blob; name: string }[]) => queue.enqueue(folder, files),
      cancel: (id: number) => queue.cancel(id),
      clearFinished: () => queue.clearFinished(),
    }),
    [queue],
  );
  return { items, ...actions };
}
