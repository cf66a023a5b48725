/**
 * One entry of the file list. Every action button carries the entry's name in its accessible name
 * ("Delete notes.txt"), so a screen reader user hears which file a button acts on.
 */
import { Isolated } from "../ui/bidi.js";
import type { FileEntry } from "./files-api.js";
import { formatBytes, formatTime } from "./format.js";
import { EntryIcon } from "./EntryIcon.js";
import { NameForm } from "./NameForm.js";

export interface FileRowProps {
  readonly entry: FileEntry;
  readonly renaming: boolean;
  readonly onOpenFolder: (entry: FileEntry) => void;
  readonly onDownload: (entry: FileEntry) => void;
  readonly onShare: (entry: FileEntry) => void;
  readonly onStartRename: (entry: FileEntry) => void;
  readonly onRename: (entry: FileEntry, name: string) => Promise<void>;
  readonly onCancelRename: () => void;
  readonly onDelete: (entry: FileEntry) => void;
}

export function FileRow(props: FileRowProps) {
  const { entry } = props;
  const isFolder = entry.type === "dir";
  return (
    <li class={`files-entry ${isFolder ? "files-entry-dir" : "files-entry-file"}`}>
      <div class="files-entry-main">
        <EntryIcon folder={isFolder} />
        {props.renaming ? (
          <NameForm
            label={`New name for ${entry.name}`}
            initial={entry.name}
            submitLabel="Save"
            onSubmit={(name) => props.onRename(entry, name)}
            onCancel={props.onCancelRename}
          />
        ) : isFolder ? (
          <button type="button" class="files-link files-entry-name" aria-label={`Open folder ${entry.name}`} onClick={() => props.onOpenFolder(entry)}>
            <Isolated text={entry.name} />
          </button>
        ) : (
          <span class="files-entry-name">
            <Isolated text={entry.name} />
          </span>
        )}
        <span class="files-entry-meta">
          <span>{isFolder ? "Folder" : formatBytes(entry.size)}</span>
          <time dateTime={entry.modified}>{formatTime(entry.modified)}</time>
        </span>
      </div>
      {!props.renaming && (
        <div class="files-entry-actions">
          {!isFolder && (
            <button type="button" aria-label={`Download ${entry.name}`} onClick={() => props.onDownload(entry)}>
              Download
            </button>
          )}
          {!isFolder && (
            <button type="button" aria-label={`Share ${entry.name}`} onClick={() => props.onShare(entry)}>
              Share
            </button>
          )}
          <button type="button" aria-label={`Rename ${entry.name}`} onClick={() => props.onStartRename(entry)}>
            Rename
          </button>
          <button type="button" class="files-danger" aria-label={`Delete ${entry.name}`} onClick={() => props.onDelete(entry)}>
            Delete
          </button>
        </div>
      )}
    </li>
  );
}
