// Mentions in text: the composer inserts `@handle` for a picked user and sends the user ids
// alongside the text; rendering turns `@handle` of a mentioned user back into a chip.

import type { UserProfile } from "./types";

/** The `@partial` being typed right before the caret, if any. */
export function mentionQueryAt(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const match = /(^|\s)@([\p{L}\p{N}._-]{0,40})$/u.exec(before);
  if (!match) return null;
  const query = match[2] ?? "";
  return { start: caret - query.length - 1, query };
}

/** Replaces the `@partial` at `start` with `@handle ` and returns the new text and caret. */
export function insertMention(text: string, start: number, caret: number, handle: string): { text: string; caret: number } {
  const inserted = `@${handle} `;
  return { text: text.slice(0, start) + inserted + text.slice(caret), caret: start + inserted.length };
}

/** The picked users whose `@handle` is still in the text (deleting the text drops the mention). */
export function mentionedIds(text: string, picked: UserProfile[]): string[] {
  const ids: string[] = [];
  for (const user of picked) {
    const pattern = new RegExp(`(^|\\s)@${user.handle.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\p{L}\\p{N}_-])`, "u");
    if (pattern.test(text) && !ids.includes(user.id)) ids.push(user.id);
  }
  return ids;
}

export type Segment = { kind: "text"; text: string } | { kind: "mention"; text: string; userId: string };

/** Splits a body into text and mention chips, for the users the message really mentions. */
export function segments(body: string, mentioned: UserProfile[]): Segment[] {
  if (mentioned.length === 0) return [{ kind: "text", text: body }];
  const byHandle = new Map(mentioned.map((u) => [u.handle.toLowerCase(), u]));
  const out: Segment[] = [];
  let last = 0;
  for (const match of body.matchAll(/@([\p{L}\p{N}._-]+)/gu)) {
    const handle = (match[1] ?? "").replace(/[.]+$/, "");
    const user = byHandle.get(handle.toLowerCase());
    const index = match.index ?? 0;
    if (!user) continue;
    if (index > last) out.push({ kind: "text", text: body.slice(last, index) });
    out.push({ kind: "mention", text: `@${handle}`, userId: user.id });
    last = index + handle.length + 1;
  }
  if (last < body.length) out.push({ kind: "text", text: body.slice(last) });
  return out;
}
