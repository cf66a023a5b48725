/** RPL_ISUPPORT (005) tokens the client cares about, as announced by the server. */
export class Isupport {
  readonly #tokens = new Map<string, string>();

  /** The tokens of one 005 line (params between the nick and the trailing text). */
  add(tokens: readonly string[]): void {
    for (const token of tokens) {
      if (token.startsWith("-")) {
        this.#tokens.delete(token.slice(1).toUpperCase());
        continue;
      }
      const eq = token.indexOf("=");
      const name = (eq === -1 ? token : token.slice(0, eq)).toUpperCase();
      this.#tokens.set(name, eq === -1 ? "" : unescapeValue(token.slice(eq + 1)));
    }
  }

  clear(): void {
    this.#tokens.clear();
  }

  get(name: string): string | undefined {
    return this.#tokens.get(name);
  }

  has(name: string): boolean {
    return this.#tokens.has(name);
  }

  /** CHATHISTORY=<max>: the most messages one request returns; 0 without chathistory. */
  get chathistoryMax(): number {
    const value = Number(this.get("CHATHISTORY") ?? "0");
    return Number.isFinite(value) && value > 0 ? value : 0;
  }

  /** TARGMAX=JOIN:25,…: the most targets one `command` line may name (Infinity: no limit given). */
  targetLimit(command: string): number {
    for (const entry of (this.get("TARGMAX") ?? "").split(",")) {
      const [name = "", value = ""] = entry.split(":", 2);
      if (name.toUpperCase() !== command.toUpperCase()) continue;
      const limit = Number(value);
      return value !== "" && Number.isInteger(limit) && limit > 0 ? limit : Infinity;
    }
    return Infinity;
  }

  /** NICKLEN=30: the longest nick the server takes (Infinity when it does not say). */
  get nickLength(): number {
    const value = Number(this.get("NICKLEN"));
    return Number.isInteger(value) && value > 0 ? value : Infinity;
  }

  get chantypes(): string {
    return this.get("CHANTYPES") ?? "#&";
  }

  /** PREFIX=(ov)@+ as [mode, symbol] pairs, highest first. */
  get prefixes(): Array<[string, string]> {
    const match = /^\(([^)]*)\)(.*)$/.exec(this.get("PREFIX") ?? "(ov)@+");
    if (!match) return [];
    const modes = match[1]!;
    const symbols = match[2]!;
    return [...modes].map((mode, i) => [mode, symbols[i] ?? ""]);
  }
}

/** ISUPPORT values escape bytes as \xHH. */
function unescapeValue(value: string): string {
  return value.replace(/\\x([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
