// The quick switcher's choices (Ctrl/Cmd+K): my conversations and the tenant's people, ranked
// for what was typed. Pure, so the ranking is tested apart from the dialog.

import { conversationTitle } from "./controller/state";
import type { ConversationSummary, UserProfile } from "./types";

export interface SwitcherChoice {
  /** A conversation's id, or a person's (opening the DM with them). */
  kind: "conversation" | "person";
  id: string;
  title: string;
  /** Shown muted after the title: a person's @handle, a group's members. */
  detail: string;
  unread: number;
  mentions: number;
  isPrivate: boolean;
  /** What the query is matched against, lower case: names and handles. */
  keys: string[];
}

/** How many choices the list shows. */
export const MAX_CHOICES = 20;

export function conversationChoices(conversations: readonly ConversationSummary[], me: string): SwitcherChoice[] {
  return conversations.map((c) => {
    // A DM (two people or a group) answers to every other member's name and handle.
    const others = c.kind === "dm" ? (c.members ?? []).filter((m) => m.id !== me) : [];
    const title = conversationTitle(c, me);
    return {
      kind: "conversation",
      id: c.id,
      title: c.kind === "dm" && others.length > 1 ? others.map((m) => m.displayName).join(", ") : title,
      detail: c.kind === "dm" ? others.map((m) => `@${m.handle}`).join(" ") : "",
      unread: c.unreadCount,
      mentions: c.mentionCount,
      isPrivate: c.kind === "private",
      keys: c.kind === "dm" ? others.flatMap((m) => [m.displayName.toLowerCase(), m.handle.toLowerCase()]) : [(c.name ?? c.id).toLowerCase()],
    };
  });
}

/** People of the tenant, but not me nor anyone I already have a two-person DM with (that DM is
 * a choice already). */
export function personChoices(people: readonly UserProfile[], conversations: readonly ConversationSummary[], me: string): SwitcherChoice[] {
  const withDm = new Set(
    conversations.filter((c) => c.kind === "dm" && (c.members ?? []).length === 2).flatMap((c) => (c.members ?? []).map((m) => m.id)),
  );
  return people
    .filter((p) => p.id !== me && !withDm.has(p.id))
    .map((p) => ({
      kind: "person",
      id: p.id,
      title: p.displayName,
      detail: `@${p.handle}`,
      unread: 0,
      mentions: 0,
      isPrivate: false,
      keys: [p.displayName.toLowerCase(), p.handle.toLowerCase()],
    }));
}

/** What the user typed, as matched: lower case, without a leading `#` or `@`. */
export function normalizeQuery(query: string): string {
  return query.trim().toLowerCase().replace(/^[#@]+/, "");
}

/** 0 a key is the query, 1 a key starts with it, 2 a word of a key does, 3 a key contains it;
 * null: no match. */
function score(choice: SwitcherChoice, q: string): number | null {
  let best: number | null = null;
  for (const key of choice.keys) {
    let s: number | null = null;
    if (key === q) s = 0;
    else if (key.startsWith(q)) s = 1;
    else if (key.split(/[\s\-_.]+/).some((w) => w.startsWith(q))) s = 2;
    else if (key.includes(q)) s = 3;
    if (s !== null && (best === null || s < best)) best = s;
  }
  return best;
}

/** A title as sorted: a channel's `#` does not put channels before people. */
function plain(title: string): string {
  return title.replace(/^#/, "").toLowerCase();
}

/** Unread first (mentions before them), in the given order otherwise. */
function byUnread(a: SwitcherChoice, b: SwitcherChoice): number {
  return Number(b.mentions > 0) - Number(a.mentions > 0) || Number(b.unread > 0) - Number(a.unread > 0);
}

/** The choices for a query, best first. Empty: my conversations, unread ones first (the open one
 * last: switching is going elsewhere). Typed: those whose names or handles match, the closest
 * match first, then unread, then conversations before people, then by name. */
export function rankChoices(choices: readonly SwitcherChoice[], query: string, activeId: string | null = null): SwitcherChoice[] {
  const q = normalizeQuery(query);
  if (!q) {
    const conversations = choices.filter((c) => c.kind === "conversation");
    return conversations
      .map((c, i) => ({ c, i }))
      .sort((a, b) => Number(a.c.id === activeId) - Number(b.c.id === activeId) || byUnread(a.c, b.c) || a.i - b.i)
      .map(({ c }) => c)
      .slice(0, MAX_CHOICES);
  }
  return choices
    .map((c) => ({ c, s: score(c, q) }))
    .filter((x): x is { c: SwitcherChoice; s: number } => x.s !== null)
    .sort((a, b) => a.s - b.s || byUnread(a.c, b.c) || Number(a.c.kind === "person") - Number(b.c.kind === "person") || plain(a.c.title).localeCompare(plain(b.c.title)))
    .map(({ c }) => c)
    .slice(0, MAX_CHOICES);
}
