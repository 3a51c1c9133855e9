// How a DM is named: by its people other than me ("Bob Brown, Carol Chen"), a pair's by the one
// other person. A group DM has no name of its own; its people are its name.

import type { ConversationSummary, UserProfile } from "./types";

/** The most people a DM holds, me included (the server's `MAX_DM_PEOPLE`, domain/dm.rs). */
export const MAX_DM_PEOPLE = 8;

/** Names shown in the sidebar before "+N"; the full list is the row's accessible name. */
const SHOWN_NAMES = 3;

/** The DM's people other than me, by name. */
export function otherPeople(c: Pick<ConversationSummary, "members">, me: string | undefined): UserProfile[] {
  return (c.members ?? []).filter((m) => m.id !== me).sort((a, b) => a.displayName.localeCompare(b.displayName) || a.id.localeCompare(b.id));
}

/** More than two people. */
export function isGroupDm(c: Pick<ConversationSummary, "kind" | "members">): boolean {
  return c.kind === "dm" && (c.members?.length ?? 0) > 2;
}

/** Every other person's name: the header, the tab title, the sidebar row's accessible name. */
export function dmTitle(c: Pick<ConversationSummary, "members">, me: string | undefined): string {
  const names = otherPeople(c, me).map((m) => m.displayName);
  return names.length > 0 ? names.join(", ") : "Direct message";
}

/** The sidebar's, short enough for its width: first names ("Bob, Carol, Dan +4"; a first name
 * two of them share stays whole), up to `SHOWN_NAMES`, then how many more. */
export function dmShortTitle(c: Pick<ConversationSummary, "members">, me: string | undefined): string {
  const people = otherPeople(c, me);
  if (people.length === 0) return dmTitle(c, me);
  const first = (p: UserProfile) => p.displayName.split(/\s+/)[0] || p.displayName;
  const names = people.map((p) => (people.filter((q) => first(q) === first(p)).length > 1 ? p.displayName : first(p)));
  const more = names.length > SHOWN_NAMES ? ` +${names.length - SHOWN_NAMES}` : "";
  return names.slice(0, SHOWN_NAMES).join(", ") + more;
}
