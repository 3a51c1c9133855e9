// Reactions on the client: the summary a message carries changed by one (user, emoji) at a time,
// the same way for a live event, a catch-up item and my own optimistic click. Both changes are
// idempotent (adding what is there, or removing what is not, returns the same list), so an
// event replayed after my optimistic change, or a catch-up that repeats one, changes nothing
// (and a no-op returns the very list it was given, so callers can tell).

import type { ChatEvent, Reaction, ReactionEvent, UserProfile } from "./types";

/** An emoji as compared: without the variation selector U+FE0F. The server stores each emoji
 * fully qualified ("❤️", "👍"); emoji data and keyboards sometimes differ ("👍️", "❤"), and
 * both name the same emoji. */
export function emojiKey(emoji: string): string {
  return emoji.replace(/\uFE0F/g, "");
}

const same = (a: string, b: string) => emojiKey(a) === emojiKey(b);

export function isReactionEvent(event: ChatEvent): event is ReactionEvent {
  return event.type === "chat:reactionAdded" || event.type === "chat:reactionRemoved";
}

/** `reactions` with `userId`'s `emoji` added (a new emoji goes last), or the same list. */
export function withReaction(reactions: readonly Reaction[], emoji: string, userId: string): readonly Reaction[] {
  const found = reactions.find((r) => same(r.emoji, emoji));
  if (found?.userIds.includes(userId)) return reactions;
  if (!found) return [...reactions, { emoji, count: 1, userIds: [userId] }];
  return reactions.map((r) => (r === found ? { emoji: r.emoji, count: r.userIds.length + 1, userIds: [...r.userIds, userId] } : r));
}

/** `reactions` without `userId`'s `emoji` (an emoji nobody holds leaves), or the same list. */
export function withoutReaction(reactions: readonly Reaction[], emoji: string, userId: string): readonly Reaction[] {
  if (!reactions.some((r) => same(r.emoji, emoji) && r.userIds.includes(userId))) return reactions;
  return reactions.flatMap((r) => {
    if (!same(r.emoji, emoji) || !r.userIds.includes(userId)) return [r];
    const userIds = r.userIds.filter((u) => u !== userId);
    return userIds.length > 0 ? [{ emoji: r.emoji, count: userIds.length, userIds }] : [];
  });
}

/** The summary after a reaction event (or my own change). */
export function applyReaction(reactions: readonly Reaction[], event: Pick<ReactionEvent, "type" | "data">): readonly Reaction[] {
  const { emoji, userId } = event.data;
  return event.type === "chat:reactionAdded" ? withReaction(reactions, emoji, userId) : withoutReaction(reactions, emoji, userId);
}

/** "alice, bob and 3 others" — me first as "You". */
export function reactorNames(userIds: readonly string[], me: string, user: (id: string) => UserProfile | undefined, shown = 10): string {
  const ordered = userIds.includes(me) ? [me, ...userIds.filter((u) => u !== me)] : [...userIds];
  const names = ordered.slice(0, shown).map((id) => (id === me ? "You" : (user(id)?.displayName ?? id)));
  const rest = ordered.length - names.length;
  if (rest > 0) names.push(`${rest} other${rest === 1 ? "" : "s"}`);
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/** What a reaction button says: "You and Bob Tester reacted with :thumbs up:". */
export function reactionLabel(reaction: Reaction, me: string, user: (id: string) => UserProfile | undefined, name: string | undefined): string {
  return `${reactorNames(reaction.userIds, me, user)} reacted with ${name ? `:${name}:` : reaction.emoji}`;
}

// Recently used emoji, per user, in localStorage (newest first).
const RECENT_PREFIX = "tenant-chat.recent-emoji.";
export const MAX_RECENT = 16;

type KeyValues = Pick<Storage, "getItem" | "setItem">;

export function loadRecent(userKey: string, storage: KeyValues = localStorage): string[] {
  try {
    const parsed: unknown = JSON.parse(storage.getItem(RECENT_PREFIX + userKey) ?? "[]");
    return Array.isArray(parsed) ? parsed.filter((e): e is string => typeof e === "string").slice(0, MAX_RECENT) : [];
  } catch {
    return [];
  }
}

export function rememberRecent(userKey: string, emoji: string, storage: KeyValues = localStorage): string[] {
  const next = [emoji, ...loadRecent(userKey, storage).filter((e) => e !== emoji)].slice(0, MAX_RECENT);
  try {
    storage.setItem(RECENT_PREFIX + userKey, JSON.stringify(next));
  } catch {
    // Storage full or blocked: recents last as long as the page.
  }
  return next;
}

// The skin tone picked in the emoji picker, per user (0: default, 1–5: light to dark).
const TONE_PREFIX = "tenant-chat.skin-tone.";

export function loadSkinTone(userKey: string, storage: KeyValues = localStorage): number {
  try {
    const tone = Number(storage.getItem(TONE_PREFIX + userKey) ?? 0);
    return Number.isInteger(tone) && tone >= 0 && tone <= 5 ? tone : 0;
  } catch {
    return 0;
  }
}

export function saveSkinTone(userKey: string, tone: number, storage: KeyValues = localStorage): void {
  try {
    storage.setItem(TONE_PREFIX + userKey, String(tone));
  } catch {
    // Storage blocked: the tone lasts as long as the page.
  }
}
