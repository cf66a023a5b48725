import { useEffect, useState } from "preact/hooks";
import type { Store } from "../state/store.js";

/** The store's state, re-rendering the component when it changes. */
export function useStore<T>(store: Store<T>): T {
  const [state, setState] = useState(store.state);
  useEffect(() => {
    setState(store.state);
    return store.subscribe(setState);
  }, [store]);
  return state;
}
