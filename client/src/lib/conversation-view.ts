// Pure placement rules for the message list: its rows (messages, and a date separator above
// the first message of each day), where the "New messages" divider goes, how many messages
// arrived below the view, and Virtuoso's firstItemIndex when older pages are prepended.

import { dayKey } from "./days";
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

/** A row of the list: a message, or the separator above the first message of a day. */
export type Row = { kind: "day"; key: string; day: string } | { kind: "message"; key: string; message: UiMessage };

/** The list's rows in the reader's time zone. A separator's key is its day, so it keeps its
 * row when older messages of that day load above (it moves up with them). */
export function buildRows(messages: readonly UiMessage[], timeZone?: string): Row[] {
  const rows: Row[] = [];
  let current: string | null = null;
  for (const m of messages) {
    const day = dayKey(m.createdAt, timeZone);
    if (day && day !== current) {
      rows.push({ kind: "day", key: `day-${day}`, day });
      current = day;
    }
    rows.push({ kind: "message", key: rowKey(m), message: m });
  }
  return rows;
}

/** Virtuoso keeps the view still on prepend when firstItemIndex drops by the number of rows
 * added above: find where the previous first message's row is now. Anchored on a message,
 * not on the first row: a day's separator moves up above older messages of its day. */
export function nextFirstItemIndex(previous: { key: string; index: number } | null, rows: readonly Row[], start: number): number {
  if (!previous) return start;
  const at = rows.findIndex((r) => r.key === previous.key);
  return at < 0 ? previous.index : previous.index - at;
}

/** The anchor `nextFirstItemIndex` follows: the first message row and its index. */
export function firstMessageAnchor(rows: readonly Row[], firstItemIndex: number): { key: string; index: number } | null {
  const at = rows.findIndex((r) => r.kind === "message");
  const row = rows[at];
  return row ? { key: row.key, index: firstItemIndex + at } : null;
}

/** Unread messages from the divider's message on (other people's, not deleted): the jump
 * bar's count. */
export function unreadFrom(messages: readonly UiMessage[], fromId: string, me: string): number {
  const at = messages.findIndex((m) => m.id === fromId);
  if (at < 0) return 0;
  return messages.slice(at).filter((m) => m.state === "sent" && m.authorId !== me && !m.deletedAt).length;
}

/** Your newest message that Up in an empty composer edits: sent, not deleted. */
export function lastEditable(messages: readonly UiMessage[], me: string): UiMessage | null {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m && m.authorId === me && m.state === "sent" && !m.deletedAt) return m;
  }
  return null;
}
