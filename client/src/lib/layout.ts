// The window's size class, as the stylesheet's breakpoints name it (src/styles.css): a phone
// shows one pane at a time.

import { useSyncExternalStore } from "react";

/** Under 600 px wide: one pane at a time (list, conversation, thread). */
export const PHONE_QUERY = "(max-width: 599.98px)";

function subscribe(listener: () => void): () => void {
  const query = window.matchMedia(PHONE_QUERY);
  query.addEventListener("change", listener);
  return () => query.removeEventListener("change", listener);
}

export function usePhone(): boolean {
  return useSyncExternalStore(subscribe, () => window.matchMedia(PHONE_QUERY).matches);
}
