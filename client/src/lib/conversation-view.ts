// Pure placement rules for the message list: where the "New messages" divider goes, how many
// messages arrived below the view, and Virtuoso's firstItemIndex when older pages are prepended.

import type { UiMessage } from "./store/messages";

/** The first unread message, given the server's unread count: the count covers other people's
 * messages after my read position, deleted ones not counted, so it is the `unreadCount`-th such
 * message from the end.
 * `null` when fewer of them are loaded (load older pages and ask again) or nothing is unread. */
export function firstUnreadId(messages: readonly UiMessage[], me: string, unreadCount: number): string | null {
  if (unreadCount <= 0) return null;
  let seen = 0;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (!m || m.state !== "sent" || m.authorId === me || m.deletedAt) continue;
    seen += 1;
    if (seen === unreadCount) return m.id;
  }
  return null;
}

/** A row's stable key: server id once sent, the client id while pending (so a confirmed send
 * keeps its row). */
export function rowKey(m: UiMessage): string {
  return m.state === "sent" ? m.id : `pending-${m.clientMessageId}`;
}

/** How many rows follow the one the reader last saw at the bottom (0 when it is gone). */
export function countAfter(messages: readonly UiMessage[], lastSeenKey: string | null): number {
  if (!lastSeenKey) return 0;
  const at = messages.findIndex((m) => rowKey(m) === lastSeenKey);
  return at < 0 ? 0 : messages.length - 1 - at;
}

/** Virtuoso keeps the view still on prepend when firstItemIndex drops by the number of rows
 * added above: find where the previous first row is now. */
export function nextFirstItemIndex(previous: { key: string; index: number } | null, messages: readonly UiMessage[], start: number): number {
  if (!previous) return start;
  const at = messages.findIndex((m) => rowKey(m) === previous.key);
  return at < 0 ? previous.index : previous.index - at;
}
