// What someone was typing, per conversation (and per thread: `<conversationId>/t/<rootId>`, see
// threadDraftKey), in sessionStorage: it survives a reload and the
// sign-in redirect when a session ends mid-sentence (same tab), and goes with an explicit sign-out.

const PREFIX = "tenant-chat.draft.";

function key(userId: string, conversationId: string): string {
  return `${PREFIX}${userId}/${conversationId}`;
}

/** A thread composer's draft, apart from its conversation's. */
export function threadDraftKey(conversationId: string, rootId: string): string {
  return `${conversationId}/t/${rootId}`;
}

export function loadDraft(userId: string, conversationId: string): string {
  try {
    return sessionStorage.getItem(key(userId, conversationId)) ?? "";
  } catch {
    return "";
  }
}

export function saveDraft(userId: string, conversationId: string, text: string): void {
  try {
    if (text) sessionStorage.setItem(key(userId, conversationId), text);
    else sessionStorage.removeItem(key(userId, conversationId));
  } catch {
    // Storage full or blocked: the draft lives as long as the page, as before.
  }
}

export function clearDrafts(): void {
  try {
    for (let i = sessionStorage.length - 1; i >= 0; i--) {
      const k = sessionStorage.key(i);
      if (k?.startsWith(PREFIX)) sessionStorage.removeItem(k);
    }
  } catch {
    // Nothing stored.
  }
}
