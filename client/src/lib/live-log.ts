// What the message list's live region says when messages arrive while it is open: only
// messages that arrived live at the bottom — never a page of older (or, after a search jump,
// newer) history loading, never the rows Virtuoso swaps in and out as the reader scrolls, and
// never my own sends.

import type { UiMessage } from "./store/messages";

/** More than this many at once (a catch-up after a reconnect) is announced as a count. */
export const MAX_ANNOUNCED = 3;
const MAX_BODY = 200;

/** Other people's sent messages that follow `previousLastId` in `messages`: what arrived at
 * the bottom since the list last rendered. Nothing when there was no previous last message
 * (the list just opened), when it is no longer in the list, or when `pagedAtBottom` (a newer
 * page of history loaded there, not live messages). */
export function liveArrivals(messages: readonly UiMessage[], previousLastId: string | null, me: string, pagedAtBottom: boolean): UiMessage[] {
  if (!previousLastId || pagedAtBottom) return [];
  const at = messages.findIndex((m) => m.id === previousLastId || m.clientMessageId === previousLastId);
  if (at < 0) return [];
  return messages.slice(at + 1).filter((m) => m.state === "sent" && m.authorId !== me && !m.deletedAt);
}

/** The last message's identity for `liveArrivals` (its id once sent, its client id before). */
export function lastMessageId(messages: readonly UiMessage[]): string | null {
  const last = messages[messages.length - 1];
  if (!last) return null;
  return last.state === "sent" ? last.id : last.clientMessageId;
}

/** A body on one line, cut to a sentence or two (what a screen reader is given to read). */
export function excerpt(body: string): string {
  const flat = body.replace(/\s+/g, " ").trim();
  return flat.length > MAX_BODY ? `${flat.slice(0, MAX_BODY - 1)}…` : flat;
}

/** "New message from Bob Brown: hello", or "5 new messages in #general" for a burst. */
export function announcement(arrivals: readonly UiMessage[], name: (userId: string) => string, where: string): string | null {
  if (arrivals.length === 0) return null;
  if (arrivals.length > MAX_ANNOUNCED) return `${arrivals.length} new messages in ${where}`;
  return arrivals
    .map((m) => {
      const files = m.attachments.length > 0 ? ` (${m.attachments.length} attachment${m.attachments.length === 1 ? "" : "s"})` : "";
      return `New message from ${name(m.authorId)}: ${excerpt(m.body)}${files}`;
    })
    .join(". ");
}
