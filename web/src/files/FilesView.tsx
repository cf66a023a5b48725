/**
 * The account's file space, the same one FTP shows: browse folders, upload (button, drag and drop,
 * pasted image) with progress, download, rename, delete, new folder, and share a file into the
 * current conversation. The app gives it an AuthedFetch and a token source; it never sees passwords.
 */
import { useCallback, useEffect, useId, useMemo, useRef, useState } from "preact/hooks";
import type { AuthedFetch } from "../api/authed-fetch.js";
import { failureMessage } from "../api/problem-detail.js";
import { Breadcrumbs } from "./Breadcrumbs.js";
import { ConfirmDialog } from "./ConfirmDialog.js";
import { FileRow } from "./FileRow.js";
import { filesApi, type FileEntry, type FileListing } from "./files-api.js";
import { joinPath } from "./file-paths.js";
import { formatBytes } from "./format.js";
import type { Incoming } from "./incoming-files.js";
import { NameForm } from "./NameForm.js";
import { saveBlob } from "./save-blob.js";
import { UploadList } from "./UploadList.js";
import { useFileDrop } from "./use-file-drop.js";
import { useUploads } from "./use-uploads.js";
import "../ui/pane.css";
import "./files.css";
import { background } from "../background.js";

export interface FilesViewProps {
  readonly fetch: AuthedFetch;
  readonly getToken: () => Promise<string>;
  /** Posts a shared file's link into the open conversation; without it the view offers the link to copy. */
  readonly onShare?: (url: string, name: string) => void;
}

type Notice = { readonly kind: "info" | "error"; readonly text: string; readonly link?: string };

/** Folders first, then names as people sort them ("file2" before "file10"). */
function byFolderThenName(a: FileEntry, b: FileEntry): number {
  if (a.type !== b.type) return a.type === "dir" ? -1 : 1;
  return a.name.localeCompare(b.name, undefined, { numeric: true, sensitivity: "base" });
}

export function FilesView(props: FilesViewProps) {
  const api = useMemo(() => filesApi(props.fetch), [props.fetch]);
  const [path, setPath] = useState("/");
  const [listing, setListing] = useState<FileListing | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [creatingFolder, setCreatingFolder] = useState(false);
  const [renaming, setRenaming] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<FileEntry | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const root = useRef<HTMLElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const headingId = useId();
  // Answers to slow listings can arrive out of order; only the latest request may set the list.
  const loadSequence = useRef(0);

  const load = useCallback(
    async (folder: string) => {
      const sequence = ++loadSequence.current;
      try {
        const next = await api.list(folder);
        if (sequence !== loadSequence.current) return;
        setListing(next);
        setLoadError(null);
      } catch (error) {
        if (sequence !== loadSequence.current) return;
        setLoadError(failureMessage(error));
      }
    },
    [api],
  );

  useEffect(() => {
    background(load(path));
  }, [load, path]);

  const refresh = useCallback(() => background(load(path)), [load, path]);
  // An upload that finished while the view shows another folder changes nothing on screen.
  const uploads = useUploads(props.getToken, (folder) => folder === path && refresh());

  const navigate = (folder: string) => {
    setRenaming(null);
    setCreatingFolder(false);
    setNotice(null);
    setListing(null);
    setPath(folder);
    heading.current?.focus();
  };

  const accept = useCallback(
    (incoming: Incoming) => {
      if (incoming.skippedFolders > 0) {
        setNotice({ kind: "error", text: "Folders cannot be uploaded as a whole; drop the files inside them, or use New folder first." });
      }
      if (incoming.files.length > 0) uploads.enqueue(path, incoming.files);
    },
    [path, uploads.enqueue],
  );

  const drop = useFileDrop(root, accept);

  const act = async (work: () => Promise<void>, success: string) => {
    try {
      await work();
      setNotice({ kind: "info", text: success });
    } catch (error) {
      setNotice({ kind: "error", text: failureMessage(error) });
    }
    await load(path);
  };

  const download = async (entry: FileEntry) => {
    try {
      saveBlob(await api.download(joinPath(path, entry.name)), entry.name);
    } catch (error) {
      setNotice({ kind: "error", text: failureMessage(error) });
    }
  };

  const share = async (entry: FileEntry) => {
    try {
      const shared = await api.share(joinPath(path, entry.name));
      // IRC clients and other devices need the whole address, not a path on this origin. Only a link
      // on this origin is posted or shown (never a javascript: or foreign URL, whatever the reply says).
      const absolute = new URL(shared.url, location.origin);
      if (absolute.origin !== location.origin) throw new Error("The server sent a share link to another site; it was not used.");
      const url = absolute.href;
      if (props.onShare) {
        props.onShare(url, entry.name);
        setNotice({ kind: "info", text: `Shared ${entry.name} in the conversation.`, link: url });
      } else {
        setNotice({ kind: "info", text: `Link to ${entry.name}:`, link: url });
      }
    } catch (error) {
      setNotice({ kind: "error", text: failureMessage(error) });
    }
  };

  const entries = useMemo(() => [...(listing?.entries ?? [])].sort(byFolderThenName), [listing]);
  const usage = listing?.usage;

  return (
    <section
      ref={root}
      class={`pane files${drop.dragging ? " files-dragging" : ""}`}
      aria-labelledby={headingId}
      {...drop.handlers}
    >
      <header class="files-header">
        <h2 id={headingId} ref={heading} tabIndex={-1}>
          Files
        </h2>
        {usage && (
          <p class="files-usage">
            {usage.quotaBytes === null
              ? `${formatBytes(usage.usedBytes)} used`
              : `${formatBytes(usage.usedBytes)} of ${formatBytes(usage.quotaBytes)} used`}
          </p>
        )}
      </header>

      <Breadcrumbs path={path} onNavigate={navigate} />

      <div class="files-toolbar">
        <button type="button" class="files-primary" onClick={() => fileInput.current?.click()}>
          Upload
        </button>
        <input
          ref={fileInput}
          type="file"
          multiple
          hidden
          aria-hidden="true"
          tabIndex={-1}
          onChange={(event) => {
            const picked = Array.from(event.currentTarget.files ?? []);
            uploads.enqueue(path, picked.map((file) => ({ file, name: file.name })));
            // Let the same file be picked again after a failure.
            event.currentTarget.value = "";
          }}
        />
        <button type="button" onClick={() => setCreatingFolder(true)} disabled={creatingFolder}>
          New folder
        </button>
        <button type="button" onClick={refresh}>
          Refresh
        </button>
      </div>

      {creatingFolder && (
        <NameForm
          label="Folder name"
          initial=""
          submitLabel="Create"
          onCancel={() => setCreatingFolder(false)}
          onSubmit={async (name) => {
            await api.createFolder(joinPath(path, name));
            setCreatingFolder(false);
            setNotice({ kind: "info", text: `Created folder ${name}.` });
            await load(path);
          }}
        />
      )}

      <UploadList items={uploads.items} onCancel={uploads.cancel} onClear={uploads.clearFinished} />

      <div role="status" class="files-notice">
        {notice?.kind === "info" && (
          <>
            {notice.text}
            {notice.link && (
              <>
                {" "}
                <a href={notice.link} target="_blank" rel="noopener noreferrer">
                  {notice.link}
                </a>
              </>
            )}
          </>
        )}
      </div>
      {notice?.kind === "error" && (
        <p role="alert" class="pane-error files-error">
          {notice.text}
        </p>
      )}

      {loadError ? (
        <div class="pane-error files-error" role="alert">
          <p>{loadError}</p>
          {path !== "/" && (
            <button type="button" onClick={() => navigate("/")}>
              Back to Home
            </button>
          )}
        </div>
      ) : listing === null ? (
        <p class="files-empty">Loading…</p>
      ) : (
        <>
          <ul class="pane-list" aria-label="Files">
            {entries.map((entry) => (
              <FileRow
                key={`${entry.type}:${entry.name}`}
                entry={entry}
                renaming={renaming === entry.name}
                onOpenFolder={(folder) => navigate(joinPath(path, folder.name))}
                onDownload={(entry) => background(download(entry))}
                onShare={(entry) => background(share(entry))}
                onStartRename={(target) => setRenaming(target.name)}
                onCancelRename={() => setRenaming(null)}
                onRename={async (target, name) => {
                  if (name !== target.name) await api.move(joinPath(path, target.name), joinPath(path, name));
                  setRenaming(null);
                  setNotice({ kind: "info", text: `Renamed ${target.name} to ${name}.` });
                  await load(path);
                }}
                onDelete={setDeleting}
              />
            ))}
          </ul>
          {entries.length === 0 && <p class="files-empty">This folder is empty. Drop files here or use Upload.</p>}
        </>
      )}

      {drop.dragging && (
        <div class="files-drop-hint" aria-hidden="true">
          Drop to upload into {path === "/" ? "Home" : path}
        </div>
      )}

      {deleting && (
        <ConfirmDialog
          title={`Delete ${deleting.name}?`}
          message={
            deleting.type === "dir"
              ? `The folder ${deleting.name} and everything in it will be deleted everywhere, FTP included. This cannot be undone.`
              : `${deleting.name} will be deleted everywhere, FTP included. This cannot be undone.`
          }
          confirmLabel="Delete"
          onCancel={() => setDeleting(null)}
          onConfirm={() => {
            const target = deleting;
            setDeleting(null);
            background(act(() => api.remove(joinPath(path, target.name), target.type === "dir"), `Deleted ${target.name}.`));
          }}
        />
      )}
    </section>
  );
}
