// What someone was typing, per conversation (and per thread: `<conversationId>/t/<rootId>`, see
// threadDraftKey), per user (`owner`: `tenant/user`), in localStorage: like Slack's, a draft survives switching
// conversations, a reload, the sign-in redirect when a session ends mid-sentence, and closing
// the tab; it goes with an explicit sign-out (a shared computer keeps nobody's words). The
// sidebar marks the conversations that hold one (draftConversations), in every tab of the page.

const PREFIX = "tenant-chat.draft.";
const THREAD = "/t/";

function storage(): Storage | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    // Blocked (a privacy setting): drafts live as long as the composer.
    return null;
  }
}

function key(userId: string, draftKey: string): string {
  return `${PREFIX}${userId}/${draftKey}`;
}

/** A thread composer's draft, apart from its conversation's. */
export function threadDraftKey(conversationId: string, rootId: string): string {
  return `${conversationId}${THREAD}${rootId}`;
}

let version = 0;
const listeners = new Set<() => void>();

function changed(): void {
  version++;
  for (const l of listeners) l();
}

function onStorage(e: StorageEvent): void {
  if (e.key === null || e.key.startsWith(PREFIX)) changed();
}

/** Told when a draft is saved or cleared, here or in another tab (for useSyncExternalStore). */
export function subscribeDrafts(listener: () => void): () => void {
  if (listeners.size === 0) window.addEventListener("storage", onStorage);
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) window.removeEventListener("storage", onStorage);
  };
}

export function draftsVersion(): number {
  return version;
}

export function loadDraft(userId: string, draftKey: string): string {
  try {
    return storage()?.getItem(key(userId, draftKey)) ?? "";
  } catch {
    return "";
  }
}

/** Keeps the text (whitespace only is no draft: nothing is kept). */
export function saveDraft(userId: string, draftKey: string, text: string): void {
  const s = storage();
  if (!s) return;
  const k = key(userId, draftKey);
  const keep = text.trim() ? text : null;
  try {
    if (s.getItem(k) === keep) return;
    if (keep) s.setItem(k, keep);
    else s.removeItem(k);
    changed();
  } catch {
    // Storage full or blocked: the draft lives as long as the composer, as before.
  }
}

/** The conversations where this user left a draft: in the conversation or in one of its threads. */
export function draftConversations(userId: string): Set<string> {
  const found = new Set<string>();
  const s = storage();
  if (!s) return found;
  const mine = `${PREFIX}${userId}/`;
  try {
    for (let i = 0; i < s.length; i++) {
      const k = s.key(i);
      if (!k?.startsWith(mine)) continue;
      const rest = k.slice(mine.length);
      const at = rest.indexOf(THREAD);
      found.add(at < 0 ? rest : rest.slice(0, at));
    }
  } catch {
    // Nothing readable: no marks.
  }
  return found;
}

/** Sign-out: every draft of this browser goes. */
export function clearDrafts(): void {
  const s = storage();
  if (!s) return;
  try {
    for (let i = s.length - 1; i >= 0; i--) {
      const k = s.key(i);
      if (k?.startsWith(PREFIX)) s.removeItem(k);
    }
    // Drafts the earlier build kept in this tab's session go too.
    for (let i = sessionStorage.length - 1; i >= 0; i--) {
      const k = sessionStorage.key(i);
      if (k?.startsWith(PREFIX)) sessionStorage.removeItem(k);
    }
  } catch {
    // Nothing stored.
  }
  changed();
}
