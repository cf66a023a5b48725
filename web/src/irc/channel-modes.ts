import type { Isupport } from "./isupport.js";

/** CHANMODES when the server does not say: lists, then always a parameter, then one when set, then none. */
const DEFAULT_CHANMODES = "beI,k,l,imnpst";

/**
 * What a channel MODE change does to the channel's key (+k): the new key, null when it was
 * removed, undefined when the change does not touch it. `changes` are the MODE parameters
 * after the channel (`+ntk`, `sekrit`…); which letters take a parameter is read from
 * ISUPPORT CHANMODES and PREFIX, so a key is never taken for another mode's parameter.
 */
export function keyChange(changes: readonly string[], isupport: Isupport): string | null | undefined {
  const [lists = "", always = "", whenSet = ""] = (isupport.get("CHANMODES") ?? DEFAULT_CHANMODES).split(",");
  const prefixes = isupport.prefixes.map(([mode]) => mode).join("");
  let key: string | null | undefined;
  let adding = true;
  let next = 1;
  for (const letter of changes[0] ?? "") {
    if (letter === "+" || letter === "-") {
      adding = letter === "+";
      continue;
    }
    const takesParameter = lists.includes(letter) || always.includes(letter) || prefixes.includes(letter) || (adding && whenSet.includes(letter));
    const parameter = takesParameter ? changes[next++] : undefined;
    if (letter === "k") key = adding ? (parameter ?? undefined) : null;
  }
  return key;
}
