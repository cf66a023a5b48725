/**
 * What the device remembers of an account's conversations between page loads: the
 * channels to join again (the server forgets them when the last connection of a user
 * that is not always-on quits) and the direct conversations opened here.
 */
export interface SavedConversations {
  readonly channels: readonly string[];
  readonly directs: readonly string[];
}

function storageKey(account: string): string {
  return `cmy.conversations.${account.toLowerCase()}`;
}

export function loadSaved(account: string): SavedConversations {
  try {
    const parsed = JSON.parse(localStorage.getItem(storageKey(account)) ?? "null") as Partial<SavedConversations> | null;
    const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : []);
    return { channels: strings(parsed?.channels), directs: strings(parsed?.directs) };
  } catch {
    return { channels: [], directs: [] };
  }
}

export function saveSaved(account: string, saved: SavedConversations): void {
  try {
    localStorage.setItem(storageKey(account), JSON.stringify(saved));
  } catch {
    // Storage full or refused: the lists are a convenience, the server is the truth.
  }
}

export function forgetSaved(account: string): void {
  try {
    localStorage.removeItem(storageKey(account));
  } catch {
    // nothing to forget
  }
}
