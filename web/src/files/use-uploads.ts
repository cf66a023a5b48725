/**
 * The upload queue of the files view: files go up one at a time (a phone's uplink is better spent on one
 * file finishing than on five crawling), each with its own progress, cancellable while waiting or running.
 */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { RequestFailed, failureMessage } from "../api/problem-detail.js";
import { joinPath } from "./file-paths.js";
import { startUpload, type RunningUpload } from "./upload.js";

export type UploadState = "waiting" | "uploading" | "done" | "failed" | "cancelled";

export interface UploadItem {
  readonly id: number;
  readonly name: string;
  readonly sent: number;
  readonly total: number;
  readonly state: UploadState;
  /** True when the upload replaced a file of the same name (the server answered 200, not 201). */
  readonly replaced?: boolean;
  readonly error?: string;
}

interface QueuedFile {
  readonly id: number;
  readonly path: string;
  readonly file: Blob;
}

export interface Uploads {
  readonly items: readonly UploadItem[];
  /** Queues files for `folder`; `names` overrides each file's own name (a pasted image has none worth keeping). */
  enqueue(folder: string, files: readonly { file: Blob; name: string }[]): void;
  cancel(id: number): void;
  clearFinished(): void;
}

const FINISHED: ReadonlySet<UploadState> = new Set(["done", "failed", "cancelled"]);

export function useUploads(getToken: () => Promise<string>, onUploaded: () => void): Uploads {
  const [items, setItems] = useState<readonly UploadItem[]>([]);
  const queue = useRef<QueuedFile[]>([]);
  const running = useRef<{ id: number; upload: RunningUpload } | null>(null);
  const draining = useRef(false);
  const nextId = useRef(1);
  // The latest callbacks, read by the drain loop that outlives the render that started it.
  const latest = useRef({ getToken, onUploaded });
  latest.current = { getToken, onUploaded };
  const mounted = useRef(true);

  const update = useCallback((id: number, change: Partial<UploadItem>) => {
    if (!mounted.current) return;
    setItems((current) => current.map((item) => (item.id === id ? { ...item, ...change } : item)));
  }, []);

  const uploadOne = useCallback(
    async (next: QueuedFile): Promise<void> => {
      update(next.id, { state: "uploading" });
      // A token can expire during a long queue: on a 401 ask for a fresh one and try once more.
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const upload = startUpload({
          path: next.path,
          body: next.file,
          token: await latest.current.getToken(),
          onProgress: (sent, total) => update(next.id, { sent, total }),
        });
        running.current = { id: next.id, upload };
        try {
          const status = await upload.done;
          update(next.id, { state: "done", sent: next.file.size, replaced: status === 200 });
          latest.current.onUploaded();
          return;
        } catch (error) {
          if (error instanceof RequestFailed && error.status === 401 && attempt === 0) continue;
          if (error instanceof DOMException && error.name === "AbortError") update(next.id, { state: "cancelled" });
          else update(next.id, { state: "failed", error: failureMessage(error) });
          return;
        } finally {
          running.current = null;
        }
      }
    },
    [update],
  );

  const drain = useCallback(async () => {
    if (draining.current) return;
    draining.current = true;
    try {
      for (let next = queue.current.shift(); next && mounted.current; next = queue.current.shift()) {
        await uploadOne(next);
      }
    } finally {
      draining.current = false;
    }
  }, [uploadOne]);

  const enqueue = useCallback<Uploads["enqueue"]>(
    (folder, files) => {
      const added = files.map(({ file, name }) => ({ id: nextId.current++, path: joinPath(folder, name), file, name }));
      queue.current.push(...added);
      setItems((current) => {
        // A new batch after the last one finished starts a fresh list.
        const kept = current.every((item) => FINISHED.has(item.state)) ? [] : current;
        return [...kept, ...added.map(({ id, name, file }) => ({ id, name, sent: 0, total: file.size, state: "waiting" as const }))];
      });
      void drain();
    },
    [drain],
  );

  const cancel = useCallback(
    (id: number) => {
      if (running.current?.id === id) {
        running.current.upload.abort();
        return;
      }
      queue.current = queue.current.filter((queued) => queued.id !== id);
      update(id, { state: "cancelled" });
    },
    [update],
  );

  const clearFinished = useCallback(() => setItems((current) => current.filter((item) => !FINISHED.has(item.state))), []);

  useEffect(
    () => () => {
      // Leaving the view stops what is running and forgets the rest: nothing uploads behind the user's back.
      mounted.current = false;
      queue.current = [];
      running.current?.upload.abort();
    },
    [],
  );

  return { items, enqueue, cancel, clearFinished };
}
