// The conversation in the page's address (#/c/<id>): a reload, a copied link and the sign-in
// redirect come back to it, and the browser's back button goes to the previous conversation.

const PREFIX = "#/c/";

export function conversationInUrl(hash: string = window.location.hash): string | null {
  if (!hash.startsWith(PREFIX)) return null;
  const id = hash.slice(PREFIX.length);
  if (!id || id.includes("/")) return null;
  try {
    return decodeURIComponent(id);
  } catch {
    return null;
  }
}

export function conversationHash(id: string): string {
  return `${PREFIX}${encodeURIComponent(id)}`;
}

/** Shows the conversation in the address: a new history entry when the user moved to another
 * one, the current entry replaced when the page starts. */
export function showConversationInUrl(id: string): void {
  const hash = conversationHash(id);
  if (window.location.hash === hash) return;
  if (conversationInUrl()) window.history.pushState(null, "", hash);
  else window.history.replaceState(null, "", hash);
}
