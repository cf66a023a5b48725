import { useEffect, useState } from "preact/hooks";

/** Where the app is, from the location hash: `#/c/<name>`, `#/files`, `#/search`, `#/settings`. */
export type Route = { readonly view: "conversation"; readonly name: string | null } | { readonly view: "files" | "search" | "settings" };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#\/?/, "");
  if (path.startsWith("c/")) {
    try {
      return { view: "conversation", name: decodeURIComponent(path.slice(2)) };
    } catch {
      return { view: "conversation", name: null };
    }
  }
  if (path === "files" || path === "search" || path === "settings") return { view: path };
  return { view: "conversation", name: null };
}

export function conversationHref(name: string): string {
  return `#/c/${encodeURIComponent(name)}`;
}

export function navigate(hash: string): void {
  if (location.hash !== hash) location.hash = hash;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = (): void => setRoute(parseRoute(location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}
