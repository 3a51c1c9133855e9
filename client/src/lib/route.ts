// The conversation in the page's address (#/c/<id>), and the thread open beside it
// (#/c/<id>/t/<rootId>): a reload, a copied link and the sign-in redirect come back to them, and
// the browser's back button goes to the previous conversation.

const PREFIX = "#/c/";
const THREAD = "/t/";

export interface Route {
  conversationId: string;
  threadRootId: string | null;
}

function decode(part: string): string | null {
  if (!part || part.includes("/")) return null;
  try {
    return decodeURIComponent(part);
  } catch {
    return null;
  }
}

export function routeInUrl(hash: string = window.location.hash): Route | null {
  if (!hash.startsWith(PREFIX)) return null;
  const rest = hash.slice(PREFIX.length);
  const at = rest.indexOf(THREAD);
  const conversationId = decode(at < 0 ? rest : rest.slice(0, at));
  if (!conversationId) return null;
  if (at < 0) return { conversationId, threadRootId: null };
  const threadRootId = decode(rest.slice(at + THREAD.length));
  return threadRootId ? { conversationId, threadRootId } : null;
}

export function conversationInUrl(hash: string = window.location.hash): string | null {
  return routeInUrl(hash)?.conversationId ?? null;
}

export function routeHash(id: string, threadRootId: string | null = null): string {
  return `${PREFIX}${encodeURIComponent(id)}${threadRootId ? `${THREAD}${encodeURIComponent(threadRootId)}` : ""}`;
}

/** Shows the conversation (and its open thread) in the address: a new history entry when the
 * user moved to another conversation, the current entry replaced when the page starts or only
 * the thread changed (the back button goes between conversations, not panel states). */
export function showRouteInUrl(id: string, threadRootId: string | null = null): void {
  const hash = routeHash(id, threadRootId);
  if (window.location.hash === hash) return;
  const current = conversationInUrl();
  if (current && current !== id) window.history.pushState(null, "", hash);
  else window.history.replaceState(null, "", hash);
}
