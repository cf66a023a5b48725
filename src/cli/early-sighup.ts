/**
 * SIGHUP's default action ends the process, and systemd's ExecReload (Type=exec) or a script
 * may send it right after exec, while Node is still loading the server's modules (~1 s on a
 * loaded machine). Imported first by the entry (main.ts), so its handler is in place before
 * the rest of the program loads: a SIGHUP then is remembered, and `serve` applies it as a
 * reload once the server runs.
 */
let received = false;
const remember = (): void => {
  received = true;
};
process.on("SIGHUP", remember);

/** Ends the early handling (SIGHUP's default comes back unless the caller installs its own); whether one arrived. */
export function takeEarlySighup(): boolean {
  process.off("SIGHUP", remember);
  return received;
}
