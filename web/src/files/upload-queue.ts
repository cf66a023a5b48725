/**
 * The uploads of this page: files go up one at a time (a phone's uplink is better spent on one file
 * finishing than on five crawling), each with its progress, cancellable while waiting or running.
 * The queue outlives the files view, so an upload goes on while the user reads a conversation, and
 * the page asks before it is closed with uploads unfinished. It belongs to one signed-in session:
 * another session (sign out, sign in as someone else) gets a new queue and the old one is stopped.
 */
import { RequestFailed, failureMessage } from "../api/problem-detail.js";
import { joinPath } from "./file-paths.js";
import { startUpload, type RunningUpload } from "./upload.js";
import { background } from "../background.js";

export type UploadState = "waiting" | "uploading" | "done" | "failed" | "cancelled";

export interface UploadItem {
  readonly id: number;
  readonly name: string;
  /** The folder it goes into. */
  readonly folder: string;
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
  readonly folder: string;
  readonly file: Blob;
}

const FINISHED: ReadonlySet<UploadState> = new Set(["done", "failed", "cancelled"]);

export class UploadQueue {
  #items: readonly UploadItem[] = [];
  #waiting: QueuedFile[] = [];
  #running: { id: number; upload: RunningUpload } | null = null;
  #draining = false;
  #stopped = false;
  #nextId = 1;
  readonly #listeners = new Set<() => void>();
  readonly #uploadedListeners = new Set<(folder: string) => void>();
  readonly #onBeforeUnload = (event: BeforeUnloadEvent) => {
    event.preventDefault();
    // Older browsers show the dialog only when returnValue is set.
    event.returnValue = "";
  };

  constructor(private readonly getToken: () => Promise<string>) {}

  get items(): readonly UploadItem[] {
    return this.#items;
  }

  /** Called after every change of `items`. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Called with the folder of each upload that has finished well. */
  onUploaded(listener: (folder: string) => void): () => void {
    this.#uploadedListeners.add(listener);
    return () => this.#uploadedListeners.delete(listener);
  }

  enqueue(folder: string, files: readonly { file: Blob; name: string }[]): void {
    if (this.#stopped || files.length === 0) return;
    const added = files.map(({ file, name }) => ({ id: this.#nextId++, path: joinPath(folder, name), folder, file, name }));
    this.#waiting.push(...added);
    // A new batch after the last one finished starts a fresh list.
    const kept = this.#items.every((item) => FINISHED.has(item.state)) ? [] : this.#items;
    this.#set([...kept, ...added.map(({ id, name, folder, file }) => ({ id, name, folder, sent: 0, total: file.size, state: "waiting" as const }))]);
    background(this.#drain());
  }

  cancel(id: number): void {
    if (this.#running?.id === id) return this.#running.upload.abort();
    this.#waiting = this.#waiting.filter((queued) => queued.id !== id);
    this.#update(id, { state: "cancelled" });
  }

  clearFinished(): void {
    this.#set(this.#items.filter((item) => !FINISHED.has(item.state)));
  }

  /** Ends the queue for good: what waits is dropped, what runs is aborted. */
  stop(): void {
    this.#stopped = true;
    this.#waiting = [];
    this.#running?.upload.abort();
    window.removeEventListener("beforeunload", this.#onBeforeUnload);
  }

  #set(items: readonly UploadItem[]): void {
    this.#items = items;
    for (const listener of this.#listeners) listener();
  }

  #update(id: number, change: Partial<UploadItem>): void {
    this.#set(this.#items.map((item) => (item.id === id ? { ...item, ...change } : item)));
  }

  async #drain(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    window.addEventListener("beforeunload", this.#onBeforeUnload);
    try {
      for (let next = this.#waiting.shift(); next && !this.#stopped; next = this.#waiting.shift()) await this.#uploadOne(next);
    } finally {
      this.#draining = false;
      window.removeEventListener("beforeunload", this.#onBeforeUnload);
    }
  }

  async #uploadOne(next: QueuedFile): Promise<void> {
    this.#update(next.id, { state: "uploading" });
    // A token can expire during a long queue: on a 401 ask for a fresh one and try once more.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        const upload = startUpload({
          path: next.path,
          body: next.file,
          token: await this.getToken(),
          onProgress: (sent, total) => this.#update(next.id, { sent, total }),
        });
        this.#running = { id: next.id, upload };
        const status = await upload.done;
        this.#update(next.id, { state: "done", sent: next.file.size, replaced: status === 200 });
        for (const listener of this.#uploadedListeners) listener(next.folder);
        return;
      } catch (error) {
        if (error instanceof RequestFailed && error.status === 401 && attempt === 0) continue;
        if (error instanceof DOMException && error.name === "AbortError") this.#update(next.id, { state: "cancelled" });
        else this.#update(next.id, { state: "failed", error: failureMessage(error) });
        return;
      } finally {
        this.#running = null;
      }
    }
  }
}

let current: { owner: () => Promise<string>; queue: UploadQueue } | null = null;

/** The page's upload queue for the session whose token source is `getToken`. */
export function uploadQueueFor(getToken: () => Promise<string>): UploadQueue {
  if (current?.owner !== getToken) {
    current?.queue.stop();
    current = { owner: getToken, queue: new UploadQueue(getToken) };
  }
  return current.queue;
}
