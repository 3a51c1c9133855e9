// Managing a channel (docs/CHAT.md "Managing a channel"): who may, and a change applied to the
// conversation list, live (`chat:conversationUpdated`) or from the answer to my own change.

import type { ChannelDetails, ConversationSummary, ConversationUpdatedEvent, Me } from "./types";

/** The server's rule (shared/src/app/channel_settings.rs): a channel's admins and tenant admins;
 * never a DM. (A tenant admin not in a private channel never has it in their list.) */
export function canManageChannel(c: ConversationSummary, me: Pick<Me, "roles">): boolean {
  return c.kind !== "dm" && (c.role === "admin" || me.roles.includes("tenant-admin"));
}

/** The channel's name, topic and archived state as a change left it (a topic cleared is absent). */
export function withChannelState(c: ConversationSummary, state: ConversationUpdatedEvent["data"] | ChannelDetails): ConversationSummary {
  const { topic: _previous, ...rest } = c;
  return { ...rest, name: state.name, archived: state.archived, ...(state.topic ? { topic: state.topic } : {}) };
}

/** The sidebar keeps archived channels apart, after the others (greyed, under "Archived"). */
export function splitArchived(conversations: ConversationSummary[]): { current: ConversationSummary[]; archived: ConversationSummary[] } {
  return {
    current: conversations.filter((c) => !c.archived),
    archived: conversations.filter((c) => c.archived),
  };
}
