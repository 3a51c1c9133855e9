// Thread rules the client applies (docs/CHAT.md "Threads"): which messages the main list shows,
// how a root's summary follows the replies that arrive (live, in catch-up or in pages, in any
// order), and the thread in the page's address. Pure, so they are unit-tested without a DOM.

import type { Message, ThreadSummary } from "./types";

/** A reply not also sent to the channel lives in its thread only. */
export function inMainList(m: Pick<Message, "threadRootId" | "alsoInChannel">): boolean {
  return !m.threadRootId || m.alsoInChannel === true;
}

/** The newer of two summaries: the one whose last reply came later (no counting here, so a
 * summary seen twice or out of order changes nothing). */
export function newerSummary(a: ThreadSummary | undefined, b: ThreadSummary | undefined): ThreadSummary | undefined {
  if (!a) return b;
  if (!b) return a;
  return b.lastReplySeq > a.lastReplySeq ? b : a;
}

/** `root` with the newest summary of its own and `summary`; the same object when nothing changes. */
export function withSummary<T extends Message>(root: T, summary: ThreadSummary | undefined): T {
  const thread = newerSummary(root.thread, summary);
  return thread === root.thread ? root : { ...root, thread };
}

/** "1 reply", "3 replies". */
export function replyCountLabel(count: number): string {
  return `${count} ${count === 1 ? "reply" : "replies"}`;
}
