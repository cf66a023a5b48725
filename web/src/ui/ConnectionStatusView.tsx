import { useEffect, useState } from "preact/hooks";
import type { ConnectionStatus } from "../irc/irc-client.js";

/** "Connected", "Connecting…", "Reconnecting in 4 s" with a button to try now. */
export function ConnectionStatusView({ status, onRetry }: { status: ConnectionStatus; onRetry: () => void }) {
  // A tick to re-render each second; the time itself is read at each render, so a new wait
  // counts from now, not from the last tick of an earlier one.
  const [, setTick] = useState(0);
  useEffect(() => {
    if (status.state !== "waiting") return;
    const timer = setInterval(() => setTick((tick) => tick + 1), 1000);
    return () => clearInterval(timer);
  }, [status]);
  let text: string;
  switch (status.state) {
    case "ready":
      text = "Connected";
      break;
    case "connecting":
      text = status.attempt === 0 ? "Connecting…" : "Reconnecting…";
      break;
    case "waiting":
      text = `Disconnected (${status.reason})`;
      break;
    case "stopped":
      text = `Disconnected: ${status.reason}`;
      break;
  }
  return (
    <div class={`connection connection-${status.state}`}>
      <span role="status" class="connection-text">
        <span class="connection-dot" aria-hidden="true" />
        {text}
      </span>
      {status.state === "waiting" && (
        // The countdown stays out of the live region: a screen reader would read every second of it.
        <span class="connection-countdown" aria-hidden="true">
          retrying in {Math.max(1, Math.ceil((status.retryAt - Date.now()) / 1000))} s
        </span>
      )}
      {status.state === "waiting" && (
        <button type="button" class="small" onClick={onRetry}>
          Reconnect now
        </button>
      )}
    </div>
  );
}
