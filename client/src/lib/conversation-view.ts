// Pure placement rules for the message list: its rows (messages, with the date separators
// between days), where the "New messages" divider goes, how many messages
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

/** A row of the list: one message, with the separator of the day that starts after it
 * (`dayAfter`), and — at the very beginning of the conversation — of its own day above it
 * (`dayBefore`). A separator rides on the row *above* the day it names, never on that day's
 * first message: rows already on screen keep their size when an older page of the same day
 * loads above (Virtuoso keeps the view still only when rows are added above, not when a row in
 * view shrinks — and separate separator rows of another height made it jump on upward scrolls). */
export interface Row {
  key: string;
  message: UiMessage;
  dayAfter?: string;
  dayBefore?: string;
}

/** The list's rows in the reader's time zone; `atBeginning`: nothing older exists, so the
 * first message's day is named above it. */
export function buildRows(messages: readonly UiMessage[], atBeginning: boolean, timeZone?: string): Row[] {
  const rows: Row[] = [];
  let current: string | null = null;
  for (const m of messages) {
    const day = dayKey(m.createdAt, timeZone);
    const row: Row = { key: rowKey(m), message: m };
    if (day && day !== current) {
      const previous = rows[rows.length - 1];
      if (previous) previous.dayAfter = day;
      else if (atBeginning) row.dayBefore = day;
      current = day;
    }
    rows.push(row);
  }
  return rows;
}

/** The rows as a reader sees them top to bottom, each separator as `day-YYYY-MM-DD` between
 * message keys (for tests and for finding what is above what). */
export function layout(rows: readonly Row[]): string[] {
  return rows.flatMap((r) => [...(r.dayBefore ? [`day-${r.dayBefore}`] : []), r.key, ...(r.dayAfter ? [`day-${r.dayAfter}`] : [])]);
}

/** Virtuoso keeps the view still on prepend when firstItemIndex drops by the number of rows
 * added above: find where the previous first row is now. */
export function nextFirstItemIndex(previous: { key: string; index: number } | null, rows: readonly Row[], start: number): number {
  if (!previous) return start;
  const at = rows.findIndex((r) => r.key === previous.key);
  return at < 0 ? previous.index : previous.index - at;
}

/** The anchor `nextFirstItemIndex` follows: the first row and its index. */
export function firstRowAnchor(rows: readonly Row[], firstItemIndex: number): { key: string; index: number } | null {
  const row = rows[0];
  return row ? { key: row.key, index: firstItemIndex } : null;
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

/** What an empty conversation says: where it begins, and what one can do there (a DM has no
 * Members to invite from; in an archived channel nobody can post). */
export function emptyConversationText(kind: "public" | "private" | "dm", title: string, archived: boolean): { heading: string; hint: string } {
  if (kind === "dm") {
    return { heading: `This is the very beginning of your conversation with ${title}`, hint: "No messages yet. Say hello below, or share a file by dropping it here." };
  }
  if (archived) return { heading: `This is the very beginning of ${title}`, hint: "No messages, and this channel is archived: nothing can be posted here." };
  return { heading: `This is the very beginning of ${title}`, hint: "No messages yet. Say hello below, share a file by dropping it here, or invite people from Members." };
}
