/** The uploads of the current batch: a progress bar per file while it goes up, then how it ended. */
import { Isolated } from "../ui/bidi.js";
import { formatBytes } from "./format.js";
import type { UploadItem } from "./upload-queue.js";

export interface UploadListProps {
  readonly items: readonly UploadItem[];
  readonly onCancel: (id: number) => void;
  readonly onClear: () => void;
}

function percent(item: UploadItem): number {
  if (item.state === "done") return 100;
  return item.total > 0 ? Math.min(100, Math.floor((item.sent / item.total) * 100)) : 0;
}

const ENDED: Record<"done" | "failed" | "cancelled", string> = { done: "Uploaded", failed: "Failed", cancelled: "Cancelled" };

export function UploadList(props: UploadListProps) {
  if (props.items.length === 0) return null;
  const allEnded = props.items.every((item) => item.state !== "waiting" && item.state !== "uploading");
  return (
    <div class="files-uploads">
      <ul aria-label="Uploads">
        {props.items.map((item) => {
          const value = percent(item);
          const active = item.state === "waiting" || item.state === "uploading";
          return (
            <li key={item.id} class={`files-upload files-upload-${item.state}`}>
              <span class="files-upload-name">
                <Isolated text={item.name} />
              </span>
              <div
                class="files-progress"
                role="progressbar"
                aria-label={`Uploading ${item.name}`}
                aria-valuemin={0}
                aria-valuemax={100}
                aria-valuenow={value}
                aria-valuetext={`${value}% (${formatBytes(item.sent)} of ${formatBytes(item.total)})`}
              >
                <div class="files-progress-bar" style={{ width: `${value}%` }} />
              </div>
              <span class="files-upload-state">
                {active ? (item.state === "waiting" ? "Waiting" : `${value}%`) : ENDED[item.state]}
                {item.replaced && " (replaced the older file)"}
                {item.error && `: ${item.error}`}
              </span>
              {active && (
                <button type="button" aria-label={`Cancel upload of ${item.name}`} onClick={() => props.onCancel(item.id)}>
                  Cancel
                </button>
              )}
            </li>
          );
        })}
      </ul>
      {allEnded && (
        <button type="button" class="files-quiet" onClick={props.onClear}>
          Dismiss
        </button>
      )}
    </div>
  );
}
